"""Where a request is executed: route, send, translate, account."""
