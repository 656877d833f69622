"""The e-way bill as pure rules (CGST Rule 138): whether a movement needs one, its validity, the
windows for cancelling, extending and changing the vehicle, the portal's checks on vehicle and
distance, the NIC generation request built from the invoice and the dispatch details, the response,
and the rules of the local sandbox portal. No I/O: stdlib only."""
