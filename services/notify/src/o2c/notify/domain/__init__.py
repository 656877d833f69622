"""What customers are told, as pure rendering: the dispatch notice (invoice, e-way bill, vehicle,
transporter, LR, expected delivery), credit holds, rejections, backorders, cancellations and payment
receipts, from templates kept as data per message kind and language. No I/O: stdlib only."""
