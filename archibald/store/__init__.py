"""What is persisted: the ledger of attempts, memory (outcomes, evidence, runs), the schema's
migrations, the write-ahead of paid calls, and safe file writes.
"""
