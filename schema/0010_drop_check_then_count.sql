-- 0010_drop_check_then_count.sql: every credential check (login, the
-- current password of PATCH /me, TOTP codes) now counts its attempt up
-- front with isacd_throttle_begin (0009).  The check-then-count pair of
-- 0007 has no caller left: parallel guesses slipped between them.
DROP FUNCTION isacd_throttle_wait(text);
DROP FUNCTION isacd_throttle_fail(text, integer, integer);
