"""The e-way bill service's test helpers (`o2c.testsupport.ewaybill`)."""
