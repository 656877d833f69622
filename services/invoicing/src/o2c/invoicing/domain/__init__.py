"""The GST tax invoice and what follows from it, as pure rules: place of supply and tax split,
effective-dated HSN rates, the invoice built from pick-confirmed quantities, gap-free document
numbers, the e-invoice (IRN and IRP JSON), cancellation, credit notes for returns and GSTR-1.

No I/O here: every module is stdlib only, so the rules are tested in milliseconds and the
service layer decides where data comes from and where results go."""
