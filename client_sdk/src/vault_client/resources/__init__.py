"""One module per resource, each with its sync and async class.

A new endpoint group (search, signatures, certified copies, verifications) slots in as a
module here with its request builders and the two classes, and a property on each client.
"""
