"""The GraphQL API: Strawberry schema, resolvers and the Starlette application."""
