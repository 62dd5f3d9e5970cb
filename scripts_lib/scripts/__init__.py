"""The shipped call scripts (`*.yaml`). A package only so that installs carry the files with the code."""
