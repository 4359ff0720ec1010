"""The back office's case workbench: a case per handed-off visit, a work item per procedure."""
