"""India's rules in one home: IST and business dates, the financial year, GSTIN and state codes, place of
supply and the tax regime, effective-dated GST rates, GST document numbers, pincode distance, vehicle numbers,
e-way bill validity, the portals' JSON and rupee formatting.

Pure (no I/O, no clock, no service imports): every service, `o2c.contracts`, the kit and the demo import from here;
nothing here imports them. `pincode_directory` is the one module that reads data (the offline India Post
directory). docs/domain.md states the rules in the business's words.
"""
