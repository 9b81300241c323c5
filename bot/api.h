/*
 * api.h - the read-only progress API on the HTTP server: GET /api/v1/shifts and
 * GET /api/v1/shifts/NAME, JSON built from fleetbot's state in Redis (docs/api.md).
 */
#ifndef FLEETBOT_API_H
#define FLEETBOT_API_H

struct app;

/* Registers the routes on app->http; app->redis answers them. */
void api_register(struct app *app);

#endif
