/*
 * db_outage.c - whether the database is away, as the log tells it.
 *
 * Every connection to PostgreSQL (the pool's eight, the realtime layer's
 * listening one) fails on its own when the database is down, and each
 * retries with its own backoff.  Were each to say so, one outage would be
 * a burst of the same warning; so they share one struct db_outage, owned
 * by whoever wires them together (`isacd serve`), and only the first
 * failure of an outage is logged by its connection, and only the first
 * success after it says the database is back.  A connection that fails
 * while the others are fine is an outage of its own, so it is still heard.
 *
 * An attempt that began before the database came back and fails after
 * (one that was waiting on a server still starting up, say) belongs to the
 * outage that ended: each attempt carries the epoch it began in, and only
 * a failure of the current epoch begins a new outage.
 */
#include "db/db.h"

unsigned
db_outage_epoch(const struct db_outage *o)
{
	return o->epoch;
}

bool
db_outage_begin(struct db_outage *o, unsigned epoch)
{
	if (o->down || epoch != o->epoch)
		return false;
	o->down = true;
	return true;
}

bool
db_outage_end(struct db_outage *o)
{
	if (!o->down)
		return false;
	o->down = false;
	o->epoch++;
	return true;
}
