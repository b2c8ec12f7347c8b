/*
 * fuzz_json_body.c - libFuzzer target for JSON request bodies.
 *
 * The first byte picks an endpoint's body parser; the rest is decoded with
 * the flags the server uses (duplicate keys refused) and, when it is an
 * object, validated.  Every problem must land in the errors array as
 * {field, message} strings.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api/api_internal.h"
#include "domain/password.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *body, *errors, *e;
	size_t i;

	if (size < 1 || size > 65536)
		return 0;
	body = json_loadb(
	    (const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES, NULL);
	if (body == NULL)
		return 0;
	if (!json_is_object(body)) {
		json_decref(body);
		return 0;
	}
	errors = json_array();
	switch (data[0] % 15) {
	case 0: {
		struct login_input in;

		api_auth_parse_login(body, &in, errors);
		if (json_array_size(errors) == 0)
			assert(in.email && in.password &&
			    in.password_len <= PASSWORD_MAX_BYTES);
		break;
	}
	case 1: {
		struct me_patch_input in;
		const char *why;

		api_me_parse_patch(body, &in, errors);
		if (in.new_password)
			(void)password_policy_check(in.new_password, in.new_len,
			    "fuzz@example.org", in.display_name, &why);
		break;
	}
	case 2: {
		struct token_input in;

		api_tokens_parse_create(body, 365, &in, errors);
		if (json_array_size(errors) == 0)
			assert(in.scopes && in.days >= 1 && in.days <= 365);
		break;
	}
	case 3: {
		struct org_input in;

		api_orgs_parse_create(body, &in, errors);
		if (in.has_country)
			assert(strlen(in.country) == 2);
		break;
	}
	case 4: {
		const char *code = api_totp_parse_code(body, errors);

		if (code)
			assert(strlen(code) == 6);
		break;
	}
	case 6:
	case 7: {
		struct community_input in;
		bool patch = data[0] % 15 == 7;

		api_comm_parse(body, patch, 730, &in, errors);
		if (json_array_size(errors) == 0) {
			assert(patch ||
			    (in.name && in.kind && in.owner_email &&
			        in.owner_org));
			assert(
			    in.retention_days >= 0 && in.retention_days <= 730);
			if (in.retention_by_tlp)
				assert(in.retention_by_tlp[0] == '{');
		}
		free(in.retention_by_tlp);
		break;
	}
	case 8: {
		struct member_input in;

		api_member_parse(body, &in, errors);
		if (json_array_size(errors) == 0)
			assert(in.role || in.status);
		break;
	}
	case 9: {
		struct invite_input in;

		api_invite_parse(body, &in, errors);
		if (json_array_size(errors) == 0)
			assert(in.email && in.organisation_id &&
			    strlen(in.organisation_id) == 36 && in.role);
		break;
	}
	case 10: {
		struct accept_input in;

		api_accept_parse(body, &in, errors);
		if (json_array_size(errors) == 0)
			assert(
			    in.token && in.password_len <= PASSWORD_MAX_BYTES);
		break;
	}
	case 11: {
		struct channel_input in;
		bool patch = data[1 % size] & 1;

		api_channel_parse(body, patch, 730, &in, errors);
		if (json_array_size(errors) == 0)
			assert(
			    patch || (in.name && in.visibility && in.posting));
		break;
	}
	case 12: {
		struct org_patch_input in;

		api_orgs_parse_patch(body, &in, errors);
		if (in.fields.has_country)
			assert(strlen(in.fields.country) == 2);
		break;
	}
	case 13: {
		struct hold_input in;

		api_hold_parse(body, &in, errors);
		if (json_array_size(errors) == 0)
			assert(!in.hold ||
			    (in.reason && strlen(in.reason) >= 1 &&
			        strlen(in.reason) <= 2000));
		break;
	}
	case 14: {
		struct erase_input in;

		api_erase_parse(body, &in, errors);
		if (json_array_size(errors) == 0)
			assert(in.password &&
			    in.password_len <= PASSWORD_MAX_BYTES);
		break;
	}
	default: {
		const char *pw = json_string_value(json_object_get(body, "p"));
		const char *why;

		if (pw)
			(void)password_policy_check(pw, strlen(pw),
			    json_string_value(json_object_get(body, "e")),
			    json_string_value(json_object_get(body, "n")),
			    &why);
		break;
	}
	}
	json_array_foreach(errors, i, e)
	{
		assert(json_is_string(json_object_get(e, "field")));
		assert(json_is_string(json_object_get(e, "message")));
	}
	json_decref(errors);
	json_decref(body);
	return 0;
}
