"""`acctguard console`: a small read-only web page for risk analysts, served over loopback HTTP
and fed by a running acctguard over gRPC with an admin token."""
