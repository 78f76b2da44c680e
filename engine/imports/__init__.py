"""Importing the operator's existing data (branches, users, customers with contacts, contracts) from CSV or XLSX.

``files`` reads a file into rows of text, ``columns`` maps its header, one module per kind checks and
writes its rows, and ``batches`` runs the two steps: a dry run stored as a preview, then a commit of
exactly that preview in one transaction.
"""
