-- 82_assessments.sql: the self-assessment on the five basic principles:
-- the questionnaire (data, versioned: the newest is current), an
-- organisation's assessments with their scores and advice, and the
-- aggregates over them that describe at least isacd_k_min() organisations
-- or nothing (20_access.sql).
--
-- Words: 'organisation_not_found' (404), 'not_your_organisation' (403:
-- only an organisation's own users make and see its assessments),
-- 'answers_unknown', 'answers_incomplete' (422), 'questionnaire_changed'
-- (409), 'busy', 'mismatch', 'replay', 'ok'.

-- The current questionnaire.
CREATE FUNCTION isacd_questionnaire_current() RETURNS SETOF questionnaires
LANGUAGE sql STABLE AS $$
	SELECT * FROM questionnaires ORDER BY version DESC LIMIT 1
$$;

-- A questionnaire as GET /assessment shows it, its members in the order
-- of the documentation.
CREATE FUNCTION isacd_questionnaire_json(q questionnaires) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object(
		'version', q.version,
		'published_at', isacd_ts(q.published_at),
		'principles', (SELECT json_agg(json_build_object(
				'principle', (p.x ->> 'principle')::integer,
				'title', p.x -> 'title',
				'questions', (SELECT json_agg(json_build_object(
						'id', qq.x ->> 'id',
						'text', qq.x -> 'text',
						'options', (SELECT json_agg(json_build_object(
								'id', o.x ->> 'id',
								'text', o.x -> 'text',
								'score', (o.x ->> 'score')::integer)
								ORDER BY o.n)
							FROM jsonb_array_elements(qq.x -> 'options')
								WITH ORDINALITY o (x, n)))
						ORDER BY qq.n)
					FROM jsonb_array_elements(p.x -> 'questions')
						WITH ORDINALITY qq (x, n)))
				ORDER BY (p.x ->> 'principle')::integer)
			FROM jsonb_array_elements(q.content -> 'principles') p (x)))
$$;

-- POST /assessment (staff): a new version, current from now on (its
-- shape was checked by the API: each principle once, ids unique, scores
-- 0..100).
CREATE FUNCTION isacd_questionnaire_publish(p_user uuid, p_content jsonb,
	p_ip inet)
RETURNS TABLE (outcome text, response text)
LANGUAGE plpgsql AS $$
DECLARE
	q questionnaires;
BEGIN
	IF NOT isacd_is_staff(p_user) THEN
		outcome := 'not_staff'; RETURN NEXT; RETURN;
	END IF;
	-- versions are numbered one after the other: one publisher at a time
	LOCK TABLE questionnaires IN SHARE ROW EXCLUSIVE MODE;
	INSERT INTO questionnaires (version, content, published_by)
	SELECT coalesce(max(version), 0) + 1, p_content, p_user
	FROM questionnaires
	RETURNING * INTO q;
	PERFORM isacd_audit(p_user, 'questionnaire.published', NULL, NULL, p_ip,
		jsonb_build_object('version', q.version));
	outcome := 'ok';
	response := isacd_questionnaire_json(q)::text;
	RETURN NEXT;
END
$$;

-- The principles an assessment is weakest in: the lowest score and every
-- score under 50, none that is 100.
CREATE FUNCTION isacd_weakest(p_scores smallint[]) RETURNS integer[]
LANGUAGE sql IMMUTABLE AS $$
	SELECT coalesce(array_agg(n ORDER BY n), '{}')
	FROM generate_series(1, 5) n
	WHERE p_scores[n] < 100 AND (p_scores[n] < 50
		OR p_scores[n] = (SELECT min(x) FROM unnest(p_scores) x))
$$;

-- The articles that help with the weakest principles: the slugs of the
-- published articles in the language that serve one of them, by
-- principle, oldest first (the principle's own article leads).
CREATE FUNCTION isacd_assessment_advice(p_scores smallint[], p_lang text)
RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT coalesce(json_agg(x.slug ORDER BY x.first, x.created_at, x.id),
		'[]'::json)
	FROM (SELECT a.slug, a.created_at, a.id,
			(SELECT min(w) FROM unnest(isacd_weakest(p_scores)) w
				WHERE w = ANY (a.principles)) AS first
		FROM articles a
		WHERE isacd_article_visible(a.status, false) AND a.lang = p_lang
			AND a.principles && isacd_weakest(p_scores)) x
$$;

-- The benchmark of a set of organisations: per principle, the quartiles
-- and the median of the latest assessment of each organisation that made
-- one; {"suppressed": ...} when fewer than isacd_k_min() did (never an
-- approximation of the figures).
CREATE FUNCTION isacd_benchmark_json(p_orgs uuid[]) RETURNS json
LANGUAGE sql STABLE AS $$
	WITH latest AS (
		SELECT DISTINCT ON (s.organisation_id) s.scores
		FROM assessments s WHERE s.organisation_id = ANY (p_orgs)
		ORDER BY s.organisation_id, s.created_at DESC, s.id DESC
	)
	SELECT CASE WHEN (SELECT count(*) FROM latest) < isacd_k_min()
		THEN json_build_object('suppressed',
			'fewer than ' || isacd_k_min() || ' organisations')
		ELSE json_build_object(
			'organisations', (SELECT count(*) FROM latest),
			'principles', (SELECT json_object_agg(n::text,
					json_build_object(
						'q1', round(q[1]::numeric, 1),
						'median', round(q[2]::numeric, 1),
						'q3', round(q[3]::numeric, 1))
					ORDER BY n)
				FROM generate_series(1, 5) n
				CROSS JOIN LATERAL (SELECT percentile_cont(
						ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP
						(ORDER BY l.scores[n]) AS q
					FROM latest l) x))
		END
$$;

-- A community's benchmark: over the organisations of the community.
CREATE FUNCTION isacd_community_benchmark(p_community uuid) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT isacd_benchmark_json(ARRAY(SELECT x.organisation_id
		FROM isacd_community_organisations(p_community) x))
$$;

-- An assessment as its organisation's users see it (p_user: the reader,
-- whose communities' benchmarks it carries).
CREATE FUNCTION isacd_assessment_json(s assessments, p_user uuid,
	p_benchmarks boolean) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object(
		'id', s.id,
		'organisation_id', s.organisation_id,
		'questionnaire_version', s.questionnaire_version,
		'answers', (SELECT json_agg(json_build_object(
				'question_id', x.a ->> 'question_id',
				'option_id', x.a ->> 'option_id') ORDER BY x.n)
			FROM jsonb_array_elements(s.answers) WITH ORDINALITY x (a, n)),
		'scores', json_build_object('1', s.scores[1], '2', s.scores[2],
			'3', s.scores[3], '4', s.scores[4], '5', s.scores[5]),
		'advice', isacd_assessment_advice(s.scores, s.lang),
		'lang', s.lang,
		'by', isacd_user_ref(s.user_id),
		'benchmarks', CASE WHEN p_benchmarks THEN coalesce((SELECT json_agg(
				json_build_object(
					'community', json_build_object('id', c.id, 'name', c.name),
					'benchmark', isacd_community_benchmark(c.id))
				ORDER BY lower(c.name), c.id)
			FROM isacd_standing(p_user) st
			JOIN communities c ON c.id = st.community_id
			WHERE isacd_community_verdict(st.state, st.role, false, 'member')
				= 'ok'), '[]'::json) END,
		'created_at', isacd_ts(s.created_at))
$$;

-- POST /organisations/{o}/assessments: one of the organisation's users
-- answers every question of the current questionnaire (p_version, when
-- given, must be it) with one of its options; the score of a principle
-- is the mean of its questions' chosen scores.
CREATE FUNCTION isacd_assessment_create(p_user uuid, p_org uuid,
	p_questions text[], p_options text[], p_version integer, p_lang text,
	p_key text, p_hash text)
RETURNS TABLE (outcome text, http_status integer, loc text,
	response text)
LANGUAGE plpgsql AS $$
DECLARE
	i record;
	q questionnaires;
	s assessments;
	v_qs jsonb;
	v_scores smallint[];
	v_answers jsonb;
BEGIN
	i := isacd_idem_begin(p_user, p_key, p_hash);
	IF i.outcome IN ('busy', 'mismatch') THEN
		outcome := i.outcome; RETURN NEXT; RETURN;
	END IF;
	outcome := isacd_org_verdict(p_user, p_org);
	IF outcome <> 'ok' THEN
		RETURN NEXT; RETURN;
	END IF;
	IF i.outcome = 'replay' THEN
		outcome := 'replay'; http_status := i.status;
		loc := i.location; response := i.response;
		RETURN NEXT; RETURN;
	END IF;
	SELECT * INTO q FROM isacd_questionnaire_current();
	IF p_version IS NOT NULL AND p_version <> q.version THEN
		outcome := 'questionnaire_changed'; RETURN NEXT; RETURN;
	END IF;
	-- the questions, in order, with their principle and options
	SELECT jsonb_agg(jsonb_build_object('principle',
			(p.x ->> 'principle')::integer, 'question', qq.x ->> 'id',
			'ord', p.n * 1000 + qq.n, 'options', qq.x -> 'options'))
	INTO v_qs
	FROM jsonb_array_elements(q.content -> 'principles') WITH ORDINALITY
		p (x, n)
	CROSS JOIN LATERAL jsonb_array_elements(p.x -> 'questions')
		WITH ORDINALITY qq (x, n);
	IF EXISTS (SELECT 1 FROM unnest(p_questions, p_options) a (qid, oid)
		WHERE NOT EXISTS (SELECT 1
			FROM jsonb_to_recordset(v_qs) x (question text, options jsonb),
			jsonb_array_elements(x.options) o
			WHERE x.question = a.qid AND o ->> 'id' = a.oid)) THEN
		outcome := 'answers_unknown'; RETURN NEXT; RETURN;
	END IF;
	IF EXISTS (SELECT 1 FROM jsonb_to_recordset(v_qs) x (question text)
		WHERE NOT (x.question = ANY (p_questions))) THEN
		outcome := 'answers_incomplete'; RETURN NEXT; RETURN;
	END IF;
	SELECT array_agg(sc.score ORDER BY sc.principle),
		(SELECT jsonb_agg(jsonb_build_object('question_id', x.question,
				'option_id', a.oid) ORDER BY x.ord)
			FROM jsonb_to_recordset(v_qs) x (question text, ord bigint)
			JOIN unnest(p_questions, p_options) a (qid, oid)
				ON a.qid = x.question)
	INTO v_scores, v_answers
	FROM (SELECT x.principle, round(avg((o ->> 'score')::integer))::smallint
			AS score
		FROM jsonb_to_recordset(v_qs) x (principle integer, question text,
			options jsonb)
		JOIN unnest(p_questions, p_options) a (qid, oid)
			ON a.qid = x.question
		CROSS JOIN LATERAL jsonb_array_elements(x.options) o
		WHERE o ->> 'id' = a.oid
		GROUP BY x.principle) sc;
	INSERT INTO assessments (organisation_id, user_id,
		questionnaire_version, answers, scores, lang)
	VALUES (p_org, p_user, q.version, v_answers, v_scores, p_lang)
	RETURNING * INTO s;
	outcome := 'ok'; http_status := 201;
	loc := '/api/v1/organisations/' || p_org || '/assessments/' || s.id;
	response := isacd_assessment_json(s, p_user, true)::text;
	PERFORM isacd_idem_store(p_user, p_key, p_hash, 201, loc, response);
	RETURN NEXT;
END
$$;

-- GET /insights/assessments?group_by=sector|country (staff): the
-- benchmark of every sector (or country) of the platform's organisations,
-- each suppressed below isacd_k_min() organisations that answered.  Every
-- group of the organisations is listed, answered or not, so that which
-- groups appear tells nothing about who made an assessment.
CREATE FUNCTION isacd_assessment_insights(p_group text) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object(
		'group_by', p_group,
		'cells', coalesce(json_agg(json_build_object(
				'group', g.key, 'benchmark', isacd_benchmark_json(g.orgs))
				ORDER BY g.key NULLS LAST), '[]'::json))
	FROM (SELECT CASE p_group WHEN 'country' THEN o.country
				ELSE o.sector END AS key,
			array_agg(o.id) AS orgs
		FROM organisations o GROUP BY 1) g
$$;
