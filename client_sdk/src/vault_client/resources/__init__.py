"""One module per resource, each with its sync and async class.

Each module holds its request builders (one per method, shared by both classes) and the
two classes; each client has a property per resource. A new endpoint group slots in the
same way.
"""
