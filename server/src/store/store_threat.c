/*
 * store_threat.c - the threat picture: counts without content
 * (schema/functions/83_threat_picture.sql).
 */
#include "store/store.h"

/* $1 user, $2 community, $3 weeks → verdict (an active member), the counts
 * of the posts the user may read there */
struct db_stmt store_threat_community = {"threat_community",
    "SELECT verdict, response FROM isacd_threat_picture($1::uuid, $2::uuid,"
    " $3::int)",
    3, 0};

/* $1 weeks, $2 group ('community_kind' or 'sector') → the agency's
 * picture over the communities that opted in (staff) */
struct db_stmt store_threat_agency = {"threat_agency",
    "SELECT isacd_agency_threat_picture($1::int, $2)::text", 2, 0};
