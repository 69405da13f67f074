"""The acctguard domain: events, account profiles, features, detectors and the traffic simulator.

Nothing here imports grpc, a database driver, or does I/O beyond explicit file paths given to it.
"""
