# The provider's npm packages are not tests.
collect_ignore = ["node_modules"]
