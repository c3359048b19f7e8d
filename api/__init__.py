"""api: FastAPI. REST for events and cameras, the live WebSocket, the console's static files."""
