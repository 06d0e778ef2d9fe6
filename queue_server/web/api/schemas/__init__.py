"""Request and response models of /api/v1 (pydantic), the only source of the OpenAPI document's schemas: the queue,
console and rating routes (queue), kiosks, print jobs and the catalogue (kiosk), the manager's monitor and
configuration (manager), hall set-up (setup) and reports (reports).

Rule: pydantic and the stdlib only; routes import these, these import no route.
"""
