"""Promises to the customer counted from the call: how a diagram declares them (rules) and their clocks."""
