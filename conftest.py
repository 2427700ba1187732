pytest_plugins = ["libreach.testing.fixtures", "libreach.testing.browser"]
