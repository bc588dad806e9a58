"""Foundation: settings, errors, plain capture facts, naming and the HTTP protocol. Imports nothing above it."""
