"""The live feed: the Socket.IO hub on /live (connect auth, rooms, replay from the outbox, sync), the relay that
carries each commit's events to this process's rooms and the other processes (Redis) and fills gaps from the
outbox, the websocket fan-out that writes one frame to many clients, each hall's announcement settings, and the
phones' live places.

Rule: reads through queries and storage, signs clients in through access and web's sessions; never writes (events
come from Runtime.execute's publish). Nothing below it imports it; the composition root wires it.
"""
