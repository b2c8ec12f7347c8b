/*
 * rt_msg.c - the subscriber's messages, checked before anything is asked of
 * the database: a JSON object (duplicate keys refused, as for request
 * bodies), a known type, no unknown member, at most RT_MSG_CHANNELS channel
 * ids, each a UUID, and a since that every JSON reader holds exactly.
 */
#include "realtime/rt_msg.h"

#include <string.h>

#include <jansson.h>

#include "core/codec.h"

static const char *rt_msg_channels(json_t *list, struct rt_msg *out);

int
rt_msg_parse(const char *text, size_t len, struct rt_msg *out, const char **why)
{
	json_t *root, *type, *v;
	const char *key, *t;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	if (root == NULL || !json_is_object(root)) {
		*why = "a message is a JSON object";
		goto done;
	}
	type = json_object_get(root, "type");
	t = json_string_value(type);
	if (t == NULL) {
		*why = "a message needs a \"type\": subscribe or unsubscribe";
		goto done;
	}
	if (strcmp(t, "subscribe") == 0) {
		out->type = RT_MSG_SUBSCRIBE;
	} else if (strcmp(t, "unsubscribe") == 0) {
		out->type = RT_MSG_UNSUBSCRIBE;
	} else {
		*why = "unknown message type: use subscribe or unsubscribe";
		goto done;
	}
	json_object_foreach(root, key, v)
	{
		if (strcmp(key, "type") == 0 || strcmp(key, "channels") == 0)
			continue;
		if (strcmp(key, "since") == 0 && out->type == RT_MSG_SUBSCRIBE)
			continue;
		*why = "the message has a member that is not known";
		goto done;
	}
	if ((*why = rt_msg_channels(json_object_get(root, "channels"), out)))
		goto done;
	v = json_object_get(root, "since");
	if (v != NULL && !json_is_null(v)) {
		json_int_t n = json_integer_value(v);

		if (!json_is_integer(v) || n < 0 || n > RT_SEQ_MAX) {
			*why = "since must be a seq: a whole number from 0";
			goto done;
		}
		out->has_since = true;
		out->since = (int64_t)n;
	}
	rc = 0;
done:
	if (root)
		json_decref(root);
	return rc;
}

/* The channel ids: NULL when they are fine, else why not. */
static const char *
rt_msg_channels(json_t *list, struct rt_msg *out)
{
	size_t i;
	json_t *c;

	if (!json_is_array(list) || json_array_size(list) == 0)
		return "channels must be a non-empty array of channel ids";
	if (json_array_size(list) > RT_MSG_CHANNELS)
		return "at most 100 channels in one message";
	json_array_foreach(list, i, c)
	{
		const char *s = json_string_value(c);
		char id[37];
		bool dup = false;

		if (s == NULL || !codec_uuid_valid(s, json_string_length(c)))
			return "channels must be channel ids (UUIDs)";
		for (size_t k = 0; k < 36; k++)
			id[k] =
			    (char)(s[k] >= 'A' && s[k] <= 'F' ? s[k] - 'A' + 'a'
			                                      : s[k]);
		id[36] = '\0';
		for (size_t k = 0; k < out->nchannels && !dup; k++)
			dup = strcmp(out->channels[k], id) == 0;
		if (!dup)
			memcpy(out->channels[out->nchannels++], id, 37);
	}
	return NULL;
}
