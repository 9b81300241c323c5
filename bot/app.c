/*
 * app.c - the few functions of the process-wide object (app.h).
 */
#include "app.h"

int64_t app_now_ms(void *priv)
{
    struct app *app = priv;
    return fb_clock_now_ms(&app->clock);
}
