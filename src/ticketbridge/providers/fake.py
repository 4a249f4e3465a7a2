"""An in-memory provider with the behaviour of Jira that the pipeline relies on."""
