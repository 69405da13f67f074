"""The gRPC adapter: converters between protobuf and the domain, handlers, server assembly."""
