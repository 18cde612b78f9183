"""The mutation check (`make mutants`): named breaks applied one at a time to a scratch copy."""
