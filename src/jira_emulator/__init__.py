"""A faithful local Jira (Cloud REST v3 + ADF, Data Center REST v2 + wiki) for tests and demos.

Built from Atlassian's documented shapes (../shared/realworld), never from ticketbridge's client;
it imports nothing from ticketbridge.
"""
