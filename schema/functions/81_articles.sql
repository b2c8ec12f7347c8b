-- 81_articles.sql: knowledge articles, public once published (no account
-- needed), drafts for staff only (isacd_article_visible, 20_access.sql);
-- every change a new version, the one before kept in article_versions.
--
-- Found with the same text search as posts: isacd_search_vector over the
-- title (A), the tags (B), the summary and the body (C), in English and
-- Dutch, queried with isacd_search_query (60_search.sql).  The articles a
-- migration seeded have no stored vector until their first edit; the
-- search computes theirs (isacd_article_search).
--
-- Words: 'article_not_found' (404: unknown, or a draft to anyone but
-- staff), 'translation_unknown' (422), 'not_staff' (403), 'busy',
-- 'mismatch', 'replay', 'unchanged', 'ok'.

CREATE FUNCTION isacd_article_vector(p_title text, p_summary text,
	p_body text, p_tags text[]) RETURNS tsvector
LANGUAGE sql IMMUTABLE AS $$
	SELECT isacd_search_vector(p_title, p_summary || E'\n\n' || p_body,
		p_tags, NULL)
$$;

-- The article's search vector, stored or (a seeded article) computed.
CREATE FUNCTION isacd_article_search(a articles) RETURNS tsvector
LANGUAGE sql IMMUTABLE AS $$
	SELECT coalesce(a.search,
		isacd_article_vector(a.title, a.summary, a.body, a.tags))
$$;

-- An article as its reader sees it (p_full: with its body; a list shows
-- the rest).  Its translation is named only when the reader may read it.
CREATE FUNCTION isacd_article_json(a articles, p_full boolean,
	p_staff boolean) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object(
		'slug', a.slug,
		'lang', a.lang,
		'title', a.title,
		'summary', a.summary,
		'body', CASE WHEN p_full THEN a.body END,
		'category', a.category,
		'principles', to_json(a.principles),
		'tags', to_json(a.tags),
		'status', a.status,
		'translation', (SELECT t.slug FROM articles t
			WHERE t.slug = a.translation
				AND isacd_article_visible(t.status, p_staff)),
		'version', a.version,
		'created_at', isacd_ts(a.created_at),
		'updated_at', isacd_ts(a.updated_at),
		'published_at', isacd_ts(a.published_at))
$$;

-- POST /articles (staff).
CREATE FUNCTION isacd_article_create(p_user uuid, p_slug text,
	p_lang text, p_title text, p_summary text, p_body text,
	p_category text, p_principles integer[], p_tags text[], p_status text,
	p_translation text, p_key text, p_hash text, p_ip inet)
RETURNS TABLE (outcome text, http_status integer, loc text,
	response text)
LANGUAGE plpgsql AS $$
DECLARE
	i record;
	a articles;
BEGIN
	i := isacd_idem_begin(p_user, p_key, p_hash);
	IF i.outcome IN ('busy', 'mismatch') THEN
		outcome := i.outcome; RETURN NEXT; RETURN;
	END IF;
	IF NOT isacd_is_staff(p_user) THEN
		outcome := 'not_staff'; RETURN NEXT; RETURN;
	END IF;
	IF i.outcome = 'replay' THEN
		outcome := 'replay'; http_status := i.status;
		loc := i.location; response := i.response;
		RETURN NEXT; RETURN;
	END IF;
	IF p_translation IS NOT NULL AND NOT EXISTS (SELECT 1 FROM articles t
		WHERE t.slug = p_translation) THEN
		outcome := 'translation_unknown'; RETURN NEXT; RETURN;
	END IF;
	INSERT INTO articles (slug, lang, title, summary, body, category,
		principles, tags, status, translation, search, created_by,
		updated_by, published_at)
	VALUES (p_slug, p_lang, p_title, p_summary, p_body, p_category,
		p_principles, p_tags, p_status, p_translation,
		isacd_article_vector(p_title, p_summary, p_body, p_tags), p_user,
		p_user, CASE WHEN p_status = 'published' THEN now() END)
	RETURNING * INTO a;
	PERFORM isacd_audit(p_user, 'article.created', NULL, NULL, p_ip,
		jsonb_build_object('slug', a.slug, 'status', a.status));
	outcome := 'ok'; http_status := 201;
	loc := '/api/v1/articles/' || a.slug;
	response := isacd_article_json(a, true, true)::text;
	PERFORM isacd_idem_store(p_user, p_key, p_hash, 201, loc, response);
	RETURN NEXT;
END
$$;

-- PATCH /articles/{slug} (staff): NULL keeps a field (p_translation:
-- p_translation_set, null clears it).  A change is a new version;
-- publishing stamps published_at, going back to draft clears it.
CREATE FUNCTION isacd_article_update(p_user uuid, p_slug text,
	p_lang text, p_title text, p_summary text, p_body text,
	p_category text, p_principles integer[], p_tags text[], p_status text,
	p_translation_set boolean, p_translation text, p_ip inet)
RETURNS TABLE (outcome text, response text)
LANGUAGE plpgsql AS $$
DECLARE
	o articles;
	n articles;
BEGIN
	IF NOT isacd_is_staff(p_user) THEN
		outcome := 'not_staff'; RETURN NEXT; RETURN;
	END IF;
	SELECT * INTO o FROM articles WHERE slug = p_slug FOR UPDATE;
	IF NOT FOUND THEN
		outcome := 'article_not_found'; RETURN NEXT; RETURN;
	END IF;
	IF p_translation_set AND p_translation IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM articles t
			WHERE t.slug = p_translation AND t.slug <> o.slug) THEN
		outcome := 'translation_unknown'; RETURN NEXT; RETURN;
	END IF;
	IF (coalesce(p_lang, o.lang), coalesce(p_title, o.title),
		coalesce(p_summary, o.summary), coalesce(p_body, o.body),
		coalesce(p_category, o.category),
		coalesce(p_principles, o.principles), coalesce(p_tags, o.tags),
		coalesce(p_status, o.status), CASE WHEN p_translation_set
			THEN p_translation ELSE o.translation END)
		IS NOT DISTINCT FROM (o.lang, o.title, o.summary, o.body,
		o.category, o.principles, o.tags, o.status, o.translation) THEN
		outcome := 'unchanged';
		response := isacd_article_json(o, true, true)::text;
		RETURN NEXT; RETURN;
	END IF;
	INSERT INTO article_versions (article_id, version, lang, title,
		summary, body, category, principles, tags, status, translation,
		edited_by)
	VALUES (o.id, o.version, o.lang, o.title, o.summary, o.body,
		o.category, o.principles, o.tags, o.status, o.translation, p_user);
	UPDATE articles x SET lang = coalesce(p_lang, x.lang),
		title = coalesce(p_title, x.title),
		summary = coalesce(p_summary, x.summary),
		body = coalesce(p_body, x.body),
		category = coalesce(p_category, x.category),
		principles = coalesce(p_principles, x.principles),
		tags = coalesce(p_tags, x.tags),
		status = coalesce(p_status, x.status),
		translation = CASE WHEN p_translation_set THEN p_translation
			ELSE x.translation END,
		search = isacd_article_vector(coalesce(p_title, x.title),
			coalesce(p_summary, x.summary), coalesce(p_body, x.body),
			coalesce(p_tags, x.tags)),
		version = x.version + 1,
		updated_by = p_user,
		updated_at = now(),
		published_at = CASE WHEN coalesce(p_status, x.status) = 'draft'
			THEN NULL ELSE coalesce(x.published_at, now()) END
	WHERE x.id = o.id RETURNING * INTO n;
	PERFORM isacd_audit(p_user, 'article.updated', NULL, NULL, p_ip,
		jsonb_build_object('slug', n.slug, 'version', n.version,
			'status', n.status));
	outcome := 'ok';
	response := isacd_article_json(n, true, true)::text;
	RETURN NEXT;
END
$$;

-- DELETE /articles/{slug} (staff): gone with its versions; a translation
-- that named it names nothing now.
CREATE FUNCTION isacd_article_delete(p_user uuid, p_slug text, p_ip inet)
RETURNS TABLE (outcome text)
LANGUAGE plpgsql AS $$
DECLARE
	o articles;
BEGIN
	IF NOT isacd_is_staff(p_user) THEN
		outcome := 'not_staff'; RETURN NEXT; RETURN;
	END IF;
	DELETE FROM articles WHERE slug = p_slug RETURNING * INTO o;
	IF NOT FOUND THEN
		outcome := 'article_not_found'; RETURN NEXT; RETURN;
	END IF;
	PERFORM isacd_audit(p_user, 'article.deleted', NULL, NULL, p_ip,
		jsonb_build_object('slug', o.slug, 'version', o.version));
	outcome := 'ok'; RETURN NEXT;
END
$$;
