pytest_plugins = ["libreach.testing.fixtures"]
