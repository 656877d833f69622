"""The kit's test helpers (`o2c.testsupport.kit`): the probe pair of services and its migrations."""
