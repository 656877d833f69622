"""Credit's test helpers (`o2c.testsupport.credit`)."""
