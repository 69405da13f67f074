"""The service's domain: decisions, the risk policy, freezes and the engine that ties them to
storage ports. Imports no grpc and no database driver."""
