"""The access matrix of posts: who may read and write posts, their
revisions, comments, sightings and shares, and what search, correlation,
the bulk lookup and STIX show, for every role, as one table.

The machinery is test_access_matrix.py's (Row, Cell, run_cell): each line
of MATRIX is one request and the exact status of every role
(issue 8, as implemented); each (line, role) is one pytest case.  Every
response body is searched, as raw text, for what its caller may not see
(World.hidden_from, which the posts extend: the ids, title, body, comment
and sighting tokens of posts the role may not read -- TLP:RED posts to
non-recipients, moderators, owners and staff included; posts of channels it
cannot read; B's posts to A's people --, revisions whose own TLP does not
admit it, the anonymous author's id and name, organisations that no post
answer names to it, everybody's e-mail address).  A refusal repeats nothing
the cell made, and a hidden channel or post answers 404 exactly as one that
does not exist.

The world (world.py, build_world + build_posts): one post of each TLP in
each of A's and B's channels (world.POSTS), an anonymous post, a post
lowered from TLP:RED, comments, sightings, edits, a share into B, and one
IPv4 (with its IPv4-mapped IPv6 form and a CIDR around it) and a domain in
posts of several channels and both communities.  The checks of successful
answers compare them with the world's model (World.post_view, seen_in,
correlates, names_sighting...): seen_in counts, the posts a list, a search,
a correlation or a lookup names, masked authors and organisations.

Path placeholders (besides those of test_access_matrix.py):
  {A.general.RED} ...     a post of the world: community.channel.TLP, or
                          A.anonymous, A.lowered, B.copy
  {A.general.RED*} ...    a new post like it (author, TLP, recipients,
                          anonymity) in the twin of its channel
  {A.general~} ...        the twin of a channel: a channel like it, made
                          once, where the cells write, so that the world's
                          channels keep exactly the model's posts
  {comment*}              a new comment on the line's post by its commenter
                          (the first of world.COMMENTS for the post)
  {A.general.RED/comment*}  a new comment on that post, by its commenter
Share lines name their target in the recipe: to-A.restricted~ and so on.
replay-key lines send the cell's request after someone else sent the same
body with the same Idempotency-Key: only that someone gets the first answer.

test_the_table_follows_the_model derives every status from the world's
model too, so that a slip in the table (or the model) shows at once.

To add a line: one line in MATRIX (and a recipe if none fits).  Realtime
events: a section of lines such as GET /channels/{A.general}/events, with a
recipe whose check compares with World.readable_posts.
"""

import re

import pytest

import test_access_matrix as base
from conftest import Server
from world import COMMENTS, ROLES, World, build_posts, build_world, tag, token

MATRIX = """
                                                                                  anon r/o out mem sus rdr mod own stf oth off
# the posts of a channel (the world's channels: exactly the model's posts; new posts go to twins)
GET    /channels/{A.general}/posts                                posts            401 200 404 200 403 200 200 200 404 404 404
GET    /channels/{A.restricted}/posts                             posts            401 404 404 404 404 200 200 200 404 404 404
GET    /channels/{A.announcements}/posts                          posts            401 200 404 200 403 200 200 200 404 404 404
GET    /channels/{B.general}/posts                                posts            401 404 404 404 404 404 404 404 404 200 404
GET    /channels/{B.restricted}/posts                             posts            401 404 404 404 404 404 404 404 404 404 404
GET    /channels/{B.announcements}/posts                          posts            401 404 404 404 404 404 404 404 404 200 404
GET    /channels/{unknown}/posts                                  -                401 404 404 404 404 404 404 404 404 404 404
POST   /channels/{A.general~}/posts                               new-post         401 403 404 201 403 201 201 201 404 404 404
POST   /channels/{A.restricted~}/posts                            new-post         401 403 404 404 404 201 201 201 404 404 404
POST   /channels/{A.announcements~}/posts                         new-post         401 403 404 403 403 403 201 201 404 404 404
POST   /channels/{B.general~}/posts                               new-post         401 403 404 404 404 404 404 404 404 201 404
POST   /channels/{B.restricted~}/posts                            new-post         401 403 404 404 404 404 404 404 404 404 404
POST   /channels/{B.announcements~}/posts                         new-post         401 403 404 404 404 404 404 404 404 403 404
POST   /channels/{A.general~}/posts                               red-for-reader   401 403 404 201 403 201 201 201 404 404 404
POST   /channels/{A.restricted~}/posts                            red-for-member   401 403 404 404 404 422 422 422 404 404 404
POST   /channels/{A.restricted~}/posts                            replay-key       401 403 404 404 404 201 201 201 404 404 404
# one post: each TLP in each channel (world.POSTS), and the posts beyond the grid
GET    /posts/{A.general.CLEAR}                                   post             401 200 404 200 403 200 200 200 404 404 404
GET    /posts/{A.general.GREEN}                                   post             401 200 404 200 403 200 200 200 404 404 404
GET    /posts/{A.general.AMBER}                                   post             401 200 404 200 403 200 200 200 404 404 404
GET    /posts/{A.general.AMBER+STRICT}                            post             401 200 404 200 403 200 200 200 404 404 404
GET    /posts/{A.general.RED}                                     post             401 404 404 404 404 200 200 404 404 404 404
GET    /posts/{A.restricted.CLEAR}                                post             401 404 404 404 404 200 200 200 404 404 404
GET    /posts/{A.restricted.GREEN}                                post             401 404 404 404 404 200 200 200 404 404 404
GET    /posts/{A.restricted.AMBER}                                post             401 404 404 404 404 200 200 200 404 404 404
GET    /posts/{A.restricted.AMBER+STRICT}                         post             401 404 404 404 404 200 200 200 404 404 404
GET    /posts/{A.restricted.RED}                                  post             401 404 404 404 404 200 404 200 404 404 404
GET    /posts/{A.announcements.CLEAR}                             post             401 200 404 200 403 200 200 200 404 404 404
GET    /posts/{A.announcements.GREEN}                             post             401 200 404 200 403 200 200 200 404 404 404
GET    /posts/{A.announcements.AMBER}                             post             401 200 404 200 403 200 200 200 404 404 404
GET    /posts/{A.announcements.AMBER+STRICT}                      post             401 200 404 200 403 200 200 200 404 404 404
GET    /posts/{A.announcements.RED}                               post             401 200 404 404 404 404 404 200 404 404 404
GET    /posts/{B.general.CLEAR}                                   post             401 404 404 404 404 404 404 404 404 200 404
GET    /posts/{B.general.GREEN}                                   post             401 404 404 404 404 404 404 404 404 200 404
GET    /posts/{B.general.AMBER}                                   post             401 404 404 404 404 404 404 404 404 200 404
GET    /posts/{B.general.AMBER+STRICT}                            post             401 404 404 404 404 404 404 404 404 200 404
GET    /posts/{B.general.RED}                                     post             401 404 404 404 404 404 404 404 404 404 404
GET    /posts/{B.restricted.CLEAR}                                post             401 404 404 404 404 404 404 404 404 404 404
GET    /posts/{B.restricted.GREEN}                                post             401 404 404 404 404 404 404 404 404 404 404
GET    /posts/{B.restricted.AMBER}                                post             401 404 404 404 404 404 404 404 404 404 404
GET    /posts/{B.restricted.AMBER+STRICT}                         post             401 404 404 404 404 404 404 404 404 404 404
GET    /posts/{B.restricted.RED}                                  post             401 404 404 404 404 404 404 404 404 404 404
GET    /posts/{B.announcements.CLEAR}                             post             401 404 404 404 404 404 404 404 404 200 404
GET    /posts/{B.announcements.GREEN}                             post             401 404 404 404 404 404 404 404 404 200 404
GET    /posts/{B.announcements.AMBER}                             post             401 404 404 404 404 404 404 404 404 200 404
GET    /posts/{B.announcements.AMBER+STRICT}                      post             401 404 404 404 404 404 404 404 404 200 404
GET    /posts/{B.announcements.RED}                               post             401 404 404 404 404 404 404 404 404 200 404
GET    /posts/{A.anonymous}                                       post             401 200 404 200 403 200 200 200 404 404 404
GET    /posts/{A.lowered}                                         post             401 200 404 200 403 200 200 200 404 404 404
GET    /posts/{B.copy}                                            post             401 404 404 404 404 404 404 404 404 200 404
GET    /posts/{unknown}                                           -                401 404 404 404 404 404 404 404 404 404 404
# edit: the author only (moderators and owners too are refused)
PATCH  /posts/{A.general.CLEAR*}                                  edit             401 403 404 403 403 200 403 403 404 404 404
PATCH  /posts/{A.general.GREEN*}                                  edit             401 403 404 403 403 403 200 403 404 404 404
PATCH  /posts/{A.general.AMBER*}                                  edit             401 403 404 403 403 200 403 403 404 404 404
PATCH  /posts/{A.general.AMBER+STRICT*}                           edit             401 403 404 403 403 403 403 200 404 404 404
PATCH  /posts/{A.general.RED*}                                    edit             401 403 404 404 404 403 200 404 404 404 404
PATCH  /posts/{A.restricted.CLEAR*}                               edit             401 403 404 404 404 200 403 403 404 404 404
PATCH  /posts/{A.restricted.GREEN*}                               edit             401 403 404 404 404 403 200 403 404 404 404
PATCH  /posts/{A.restricted.AMBER*}                               edit             401 403 404 404 404 200 403 403 404 404 404
PATCH  /posts/{A.restricted.AMBER+STRICT*}                        edit             401 403 404 404 404 403 403 200 404 404 404
PATCH  /posts/{A.restricted.RED*}                                 edit             401 403 404 404 404 403 404 200 404 404 404
PATCH  /posts/{A.announcements.CLEAR*}                            edit             401 403 404 403 403 403 403 200 404 404 404
PATCH  /posts/{A.announcements.GREEN*}                            edit             401 403 404 403 403 403 200 403 404 404 404
PATCH  /posts/{A.announcements.AMBER*}                            edit             401 403 404 403 403 403 403 200 404 404 404
PATCH  /posts/{A.announcements.AMBER+STRICT*}                     edit             401 403 404 403 403 403 200 403 404 404 404
PATCH  /posts/{A.announcements.RED*}                              edit             401 403 404 404 404 404 404 200 404 404 404
PATCH  /posts/{B.general.CLEAR*}                                  edit             401 403 404 404 404 404 404 404 404 200 404
PATCH  /posts/{B.general.GREEN*}                                  edit             401 403 404 404 404 404 404 404 404 403 404
PATCH  /posts/{B.general.AMBER*}                                  edit             401 403 404 404 404 404 404 404 404 200 404
PATCH  /posts/{B.general.AMBER+STRICT*}                           edit             401 403 404 404 404 404 404 404 404 403 404
PATCH  /posts/{B.general.RED*}                                    edit             401 403 404 404 404 404 404 404 404 404 404
PATCH  /posts/{B.restricted.CLEAR*}                               edit             401 403 404 404 404 404 404 404 404 404 404
PATCH  /posts/{B.restricted.GREEN*}                               edit             401 403 404 404 404 404 404 404 404 404 404
PATCH  /posts/{B.restricted.AMBER*}                               edit             401 403 404 404 404 404 404 404 404 404 404
PATCH  /posts/{B.restricted.AMBER+STRICT*}                        edit             401 403 404 404 404 404 404 404 404 404 404
PATCH  /posts/{B.restricted.RED*}                                 edit             401 403 404 404 404 404 404 404 404 404 404
PATCH  /posts/{B.announcements.CLEAR*}                            edit             401 403 404 404 404 404 404 404 404 403 404
PATCH  /posts/{B.announcements.GREEN*}                            edit             401 403 404 404 404 404 404 404 404 403 404
PATCH  /posts/{B.announcements.AMBER*}                            edit             401 403 404 404 404 404 404 404 404 403 404
PATCH  /posts/{B.announcements.AMBER+STRICT*}                     edit             401 403 404 404 404 404 404 404 404 403 404
PATCH  /posts/{B.announcements.RED*}                              edit             401 403 404 404 404 404 404 404 404 403 404
PATCH  /posts/{A.anonymous*}                                      edit             401 403 404 200 403 403 403 403 404 404 404
PATCH  /posts/{A.anonymous*}                                      unmask           401 403 400 400 400 400 400 400 400 400 400
# delete: the author, or a moderator or owner who may read the post
DELETE /posts/{A.general.CLEAR*}                                  delete-post      401 403 404 403 403 204 204 204 404 404 404
DELETE /posts/{A.general.GREEN*}                                  delete-post      401 403 404 403 403 403 204 204 404 404 404
DELETE /posts/{A.general.AMBER*}                                  delete-post      401 403 404 403 403 204 204 204 404 404 404
DELETE /posts/{A.general.AMBER+STRICT*}                           delete-post      401 403 404 403 403 403 204 204 404 404 404
DELETE /posts/{A.general.RED*}                                    delete-post      401 403 404 404 404 403 204 404 404 404 404
DELETE /posts/{A.restricted.CLEAR*}                               delete-post      401 403 404 404 404 204 204 204 404 404 404
DELETE /posts/{A.restricted.GREEN*}                               delete-post      401 403 404 404 404 403 204 204 404 404 404
DELETE /posts/{A.restricted.AMBER*}                               delete-post      401 403 404 404 404 204 204 204 404 404 404
DELETE /posts/{A.restricted.AMBER+STRICT*}                        delete-post      401 403 404 404 404 403 204 204 404 404 404
DELETE /posts/{A.restricted.RED*}                                 delete-post      401 403 404 404 404 403 404 204 404 404 404
DELETE /posts/{A.announcements.CLEAR*}                            delete-post      401 403 404 403 403 403 204 204 404 404 404
DELETE /posts/{A.announcements.GREEN*}                            delete-post      401 403 404 403 403 403 204 204 404 404 404
DELETE /posts/{A.announcements.AMBER*}                            delete-post      401 403 404 403 403 403 204 204 404 404 404
DELETE /posts/{A.announcements.AMBER+STRICT*}                     delete-post      401 403 404 403 403 403 204 204 404 404 404
DELETE /posts/{A.announcements.RED*}                              delete-post      401 403 404 404 404 404 404 204 404 404 404
DELETE /posts/{B.general.CLEAR*}                                  delete-post      401 403 404 404 404 404 404 404 404 204 404
DELETE /posts/{B.general.GREEN*}                                  delete-post      401 403 404 404 404 404 404 404 404 403 404
DELETE /posts/{B.general.AMBER*}                                  delete-post      401 403 404 404 404 404 404 404 404 204 404
DELETE /posts/{B.general.AMBER+STRICT*}                           delete-post      401 403 404 404 404 404 404 404 404 403 404
DELETE /posts/{B.general.RED*}                                    delete-post      401 403 404 404 404 404 404 404 404 404 404
DELETE /posts/{B.restricted.CLEAR*}                               delete-post      401 403 404 404 404 404 404 404 404 404 404
DELETE /posts/{B.restricted.GREEN*}                               delete-post      401 403 404 404 404 404 404 404 404 404 404
DELETE /posts/{B.restricted.AMBER*}                               delete-post      401 403 404 404 404 404 404 404 404 404 404
DELETE /posts/{B.restricted.AMBER+STRICT*}                        delete-post      401 403 404 404 404 404 404 404 404 404 404
DELETE /posts/{B.restricted.RED*}                                 delete-post      401 403 404 404 404 404 404 404 404 404 404
DELETE /posts/{B.announcements.CLEAR*}                            delete-post      401 403 404 404 404 404 404 404 404 403 404
DELETE /posts/{B.announcements.GREEN*}                            delete-post      401 403 404 404 404 404 404 404 404 403 404
DELETE /posts/{B.announcements.AMBER*}                            delete-post      401 403 404 404 404 404 404 404 404 403 404
DELETE /posts/{B.announcements.AMBER+STRICT*}                     delete-post      401 403 404 404 404 404 404 404 404 403 404
DELETE /posts/{B.announcements.RED*}                              delete-post      401 403 404 404 404 404 404 404 404 403 404
DELETE /posts/{A.anonymous*}                                      delete-post      401 403 404 204 403 403 204 204 404 404 404
# legal hold: the owners of the post's community (of what they may know of)
# and staff (of any post: they govern what they cannot read)
PATCH  /posts/{A.general.GREEN*}                                  hold             401 403 404 403 403 403 403 200 200 404 404
PATCH  /posts/{A.general.RED*}                                    hold             401 403 404 404 404 403 403 404 200 404 404
PATCH  /posts/{A.restricted.AMBER*}                               hold             401 403 404 404 404 403 403 200 200 404 404
PATCH  /posts/{B.general.GREEN*}                                  hold             401 403 404 404 404 404 404 404 200 403 404
# share: TLP:CLEAR and TLP:GREEN only, into a channel the caller may post in
POST   /posts/{A.general.CLEAR*}/share                            to-A.restricted~ 401 403 404 404 403 201 201 201 404 404 404
POST   /posts/{A.general.GREEN*}/share                            to-A.restricted~ 401 403 404 404 403 201 201 201 404 404 404
POST   /posts/{A.general.AMBER*}/share                            to-A.restricted~ 401 403 404 422 403 422 422 422 404 404 404
POST   /posts/{A.general.AMBER+STRICT*}/share                     to-A.restricted~ 401 403 404 422 403 422 422 422 404 404 404
POST   /posts/{A.general.RED*}/share                              to-A.restricted~ 401 403 404 404 404 422 422 404 404 404 404
POST   /posts/{A.restricted.RED*}/share                           to-A.general~    401 403 404 404 404 422 404 422 404 404 404
POST   /posts/{A.general.GREEN*}/share                            to-A.announcements~ 401 403 404 403 403 403 201 201 404 404 404
POST   /posts/{A.general.GREEN*}/share                            to-A.general~    401 403 404 422 403 422 422 422 404 404 404
POST   /posts/{A.general.GREEN*}/share                            to-B.general~    401 403 404 404 403 404 404 404 404 404 404
POST   /posts/{B.general.GREEN*}/share                            to-B.announcements~ 401 403 404 404 404 404 404 404 404 403 404
# revisions: the post's readers, each revision only to those its own TLP admitted
GET    /posts/{A.general.GREEN}/revisions                         revisions        401 200 404 200 403 200 200 200 404 404 404
GET    /posts/{A.general.AMBER}/revisions                         revisions        401 200 404 200 403 200 200 200 404 404 404
GET    /posts/{A.general.RED}/revisions                           revisions        401 404 404 404 404 200 200 404 404 404 404
GET    /posts/{A.restricted.AMBER}/revisions                      revisions        401 404 404 404 404 200 200 200 404 404 404
GET    /posts/{A.restricted.RED}/revisions                        revisions        401 404 404 404 404 200 404 200 404 404 404
GET    /posts/{A.announcements.RED}/revisions                     revisions        401 200 404 404 404 404 404 200 404 404 404
GET    /posts/{B.general.RED}/revisions                           revisions        401 404 404 404 404 404 404 404 404 404 404
GET    /posts/{B.announcements.RED}/revisions                     revisions        401 404 404 404 404 404 404 404 404 200 404
GET    /posts/{A.anonymous}/revisions                             revisions        401 200 404 200 403 200 200 200 404 404 404
GET    /posts/{A.lowered}/revisions                               revisions        401 200 404 200 403 200 200 200 404 404 404
# comments: the post's readers; edit: the comment's author; delete: it, or moderators and owners
GET    /posts/{A.general.GREEN}/comments                          comments         401 200 404 200 403 200 200 200 404 404 404
GET    /posts/{A.general.RED}/comments                            comments         401 404 404 404 404 200 200 404 404 404 404
GET    /posts/{A.restricted.AMBER}/comments                       comments         401 404 404 404 404 200 200 200 404 404 404
GET    /posts/{A.restricted.RED}/comments                         comments         401 404 404 404 404 200 404 200 404 404 404
GET    /posts/{A.announcements.RED}/comments                      comments         401 200 404 404 404 404 404 200 404 404 404
GET    /posts/{B.general.RED}/comments                            comments         401 404 404 404 404 404 404 404 404 404 404
GET    /posts/{B.announcements.RED}/comments                      comments         401 404 404 404 404 404 404 404 404 200 404
GET    /posts/{A.anonymous}/comments                              comments         401 200 404 200 403 200 200 200 404 404 404
POST   /posts/{A.general.GREEN*}/comments                         comment          401 403 404 201 403 201 201 201 404 404 404
POST   /posts/{A.general.RED*}/comments                           comment          401 403 404 404 404 201 201 404 404 404 404
POST   /posts/{A.restricted.AMBER*}/comments                      comment          401 403 404 404 404 201 201 201 404 404 404
POST   /posts/{A.restricted.RED*}/comments                        comment          401 403 404 404 404 201 404 201 404 404 404
POST   /posts/{A.announcements.RED*}/comments                     comment          401 403 404 404 404 404 404 201 404 404 404
POST   /posts/{B.general.RED*}/comments                           comment          401 403 404 404 404 404 404 404 404 404 404
POST   /posts/{B.announcements.RED*}/comments                     comment          401 403 404 404 404 404 404 404 404 201 404
POST   /posts/{A.anonymous*}/comments                             comment          401 403 404 201 403 201 201 201 404 404 404
POST   /posts/{A.general.RED*}/comments                           replay-key       401 403 404 404 404 201 201 404 404 404 404
PATCH  /posts/{A.general.GREEN}/comments/{comment*}               edit-comment     401 403 404 403 403 200 403 403 404 404 404
PATCH  /posts/{A.general.RED}/comments/{comment*}                 edit-comment     401 403 404 404 404 200 403 404 404 404 404
PATCH  /posts/{A.restricted.AMBER}/comments/{comment*}            edit-comment     401 403 404 404 404 403 403 200 404 404 404
PATCH  /posts/{A.restricted.RED}/comments/{comment*}              edit-comment     401 403 404 404 404 200 404 403 404 404 404
PATCH  /posts/{A.announcements.RED}/comments/{comment*}           edit-comment     401 403 404 404 404 404 404 200 404 404 404
PATCH  /posts/{B.general.RED}/comments/{comment*}                 edit-comment     401 403 404 404 404 404 404 404 404 404 404
PATCH  /posts/{B.announcements.RED}/comments/{comment*}           edit-comment     401 403 404 404 404 404 404 404 404 200 404
PATCH  /posts/{A.anonymous}/comments/{comment*}                   edit-comment     401 403 404 200 403 403 403 403 404 404 404
PATCH  /posts/{A.general.GREEN}/comments/{A.general.RED/comment*} edit-comment     401 403 404 404 403 404 404 404 404 404 404
DELETE /posts/{A.general.GREEN}/comments/{comment*}               delete-comment   401 403 404 403 403 204 204 204 404 404 404
DELETE /posts/{A.general.RED}/comments/{comment*}                 delete-comment   401 403 404 404 404 204 204 404 404 404 404
DELETE /posts/{A.restricted.AMBER}/comments/{comment*}            delete-comment   401 403 404 404 404 403 204 204 404 404 404
DELETE /posts/{A.restricted.RED}/comments/{comment*}              delete-comment   401 403 404 404 404 204 404 204 404 404 404
DELETE /posts/{A.announcements.RED}/comments/{comment*}           delete-comment   401 403 404 404 404 404 404 204 404 404 404
DELETE /posts/{B.general.RED}/comments/{comment*}                 delete-comment   401 403 404 404 404 404 404 404 404 404 404
DELETE /posts/{B.announcements.RED}/comments/{comment*}           delete-comment   401 403 404 404 404 404 404 404 404 204 404
DELETE /posts/{A.anonymous}/comments/{comment*}                   delete-comment   401 403 404 204 403 403 204 204 404 404 404
DELETE /posts/{A.general.GREEN}/comments/{unknown}                -                401 403 404 404 403 404 404 404 404 404 404
# sightings: the post's readers, one per organisation
GET    /posts/{A.general.GREEN}/sightings                         sightings        401 200 404 200 403 200 200 200 404 404 404
GET    /posts/{A.general.RED}/sightings                           sightings        401 404 404 404 404 200 200 404 404 404 404
GET    /posts/{A.restricted.AMBER}/sightings                      sightings        401 404 404 404 404 200 200 200 404 404 404
GET    /posts/{A.restricted.RED}/sightings                        sightings        401 404 404 404 404 200 404 200 404 404 404
GET    /posts/{A.announcements.RED}/sightings                     sightings        401 200 404 404 404 404 404 200 404 404 404
GET    /posts/{B.general.AMBER}/sightings                         sightings        401 404 404 404 404 404 404 404 404 200 404
GET    /posts/{B.general.RED}/sightings                           sightings        401 404 404 404 404 404 404 404 404 404 404
GET    /posts/{B.announcements.RED}/sightings                     sightings        401 404 404 404 404 404 404 404 404 200 404
GET    /posts/{A.anonymous}/sightings                             sightings        401 200 404 200 403 200 200 200 404 404 404
POST   /posts/{A.general.GREEN*}/sightings                        sighting         401 403 404 201 403 201 201 201 404 404 404
POST   /posts/{A.general.RED*}/sightings                          sighting         401 403 404 404 404 201 201 404 404 404 404
POST   /posts/{A.restricted.AMBER*}/sightings                     sighting         401 403 404 404 404 201 201 201 404 404 404
POST   /posts/{A.restricted.RED*}/sightings                       sighting         401 403 404 404 404 201 404 201 404 404 404
POST   /posts/{A.announcements.RED*}/sightings                    sighting         401 403 404 404 404 404 404 201 404 404 404
POST   /posts/{B.general.RED*}/sightings                          sighting         401 403 404 404 404 404 404 404 404 404 404
POST   /posts/{B.announcements.RED*}/sightings                    sighting         401 403 404 404 404 404 404 404 404 201 404
POST   /posts/{A.anonymous*}/sightings                            sighting         401 403 404 201 403 201 201 201 404 404 404
POST   /posts/{A.general.GREEN*}/sightings                        sight-again      401 403 404 409 403 409 409 409 404 404 404
POST   /posts/{A.general.RED*}/sightings                          replay-key       401 403 404 404 404 201 201 404 404 404 404
# STIX 2.1: the post's readers only
GET    /posts/{A.general.GREEN}/stix                              stix             401 200 404 200 403 200 200 200 404 404 404
GET    /posts/{A.general.RED}/stix                                stix             401 404 404 404 404 200 200 404 404 404 404
GET    /posts/{A.restricted.AMBER}/stix                           stix             401 404 404 404 404 200 200 200 404 404 404
GET    /posts/{A.restricted.AMBER+STRICT}/stix                    stix             401 404 404 404 404 200 200 200 404 404 404
GET    /posts/{A.restricted.RED}/stix                             stix             401 404 404 404 404 200 404 200 404 404 404
GET    /posts/{A.announcements.RED}/stix                          stix             401 200 404 404 404 404 404 200 404 404 404
GET    /posts/{B.general.RED}/stix                                stix             401 404 404 404 404 404 404 404 404 404 404
GET    /posts/{B.announcements.RED}/stix                          stix             401 404 404 404 404 404 404 404 404 200 404
GET    /posts/{A.anonymous}/stix                                  stix             401 200 404 200 403 200 200 200 404 404 404
# search, correlation, bulk lookup: everyone signed in, over what each may read
GET    /search                                                    search           401 200 200 200 200 200 200 200 200 200 200
GET    /search                                                    search-in-B      401 200 200 200 200 200 200 200 200 200 200
GET    /search                                                    search-red       401 200 200 200 200 200 200 200 200 200 200
GET    /indicators                                                correlate-ip     401 200 200 200 200 200 200 200 200 200 200
GET    /indicators                                                correlate-mapped 401 200 200 200 200 200 200 200 200 200 200
GET    /indicators                                                correlate-domain 401 200 200 200 200 200 200 200 200 200 200
POST   /indicators/lookup                                         lookup           401 200 200 200 200 200 200 200 200 200 200

"""

ROWS = base.parse_matrix(MATRIX)


# ---- one cell ----------------------------------------------------------------

class PostCell(base.Cell):
    """A cell of this matrix: the placeholders of posts, comments and twins."""

    def value(self, name):
        if name not in self.values:
            self.values[name] = self.make(name)
        return self.values[name]

    def make(self, name):
        w = self.w
        if name in base.PLACEHOLDERS:
            return base.PLACEHOLDERS[name](self)
        if name.endswith("~"):
            return w.twin(name[:-1])["id"]
        if name.endswith("comment*"):
            cid, t = w.fresh_comment(self.post_key() if name == "comment*" else name[:-9])
            self.made("comment", cid, cid, t)
            return cid
        if name.endswith("*") and name[:-1] in w.posts:
            p = w.fresh_post(name[:-1])
            self.made("post", p, p.id, p.title_token, p.body_token)
            return p.id
        assert name in w.posts, "unknown placeholder {%s}" % name
        return w.posts[name].id

    def post_key(self):
        """The key of the line's post ({A.general.RED} or {A.general.RED*})."""
        m = re.match(r"/posts/\{([^}]+)\}", self.row.path)
        return m.group(1).rstrip("*") if m else None

    @property
    def post(self):
        return self.w.posts[self.post_key()]

    def first_hidden_object(self):
        m = re.search(r"\{([^}]+)\}", self.row.path)
        key = m.group(1).rstrip("*~") if m else None
        if key in self.w.posts:
            return m.group(1) if self.w.post_status(self.role, self.w.posts[key]) == 404 else None
        ckey, _, kind = (key or "").partition(".")
        if self.row.path.startswith("/channels/") and kind in World.CHANNEL_KINDS:
            return None if World.may_see_channel(self.role, ckey, kind) else m.group(1)
        return None

    def expect(self, what, got, want):
        if got != want:
            self.problems.append("MODEL: %s as %s: %r, expected %r"
                                 % (what, self.role, got, want))

    def expect_post(self, got, p):
        for field, want in self.w.post_view(self.role, p).items():
            self.expect("%s %s" % (p.key, field), got.get(field), want)

    def items(self, r):
        body = r.json()
        self.expect("next_cursor (one page)", body["next_cursor"], None)
        return body["items"]


# ---- checks of successful answers (against the world's model) -------------------

def channel_of(c):
    return re.search(r"\{([^}~]+)~?\}", c.row.path).group(1)


def check_posts(c, r):
    """A channel's list: exactly the posts of the channel the role may
    read, newest first, each as post_view says."""
    want = {p.id: p for p in c.w.readable_posts(c.role) if p.channel == channel_of(c)}
    items = c.items(r)
    c.expect("posts of %s" % channel_of(c), sorted(i["id"] for i in items), sorted(want))
    for i in items:
        if i["id"] in want:
            c.expect_post(i, want[i["id"]])
    times = [i["created_at"] for i in items]
    c.expect("order", times, sorted(times, reverse=True))


def check_post(c, r):
    c.expect_post(r.json(), c.post)


def check_created(c, r):
    got = r.json()
    c.expect("Location", r.headers.get("Location"), "/api/v1/posts/" + got["id"])
    c.expect("author", (got["author"] or {}).get("id"), c.w.user_id(c.role))
    c.expect("channel", got["channel_id"], c.value(channel_of(c) + "~"))
    c.expect("can_edit", got["can_edit"], True)
    if got["tlp"] == "TLP:RED":
        c.expect("recipients", got["recipients"], [c.w.user_id("reader")])


def check_edited(c, r):
    got = r.json()
    c.expect("body", got["body"], "edited by " + c.role)
    c.expect("revision", got["revision"], 1)


def check_deleted(c, r):
    p = c.objs["post"]
    gone = c.request("GET", "/api/v1/posts/" + p.id, token=c.w.acct(p.author)["token"])
    c.expect("GET of the deleted post by its author", gone.status_code, 404)


def share_to(target):
    def body(c):
        return {"channel_id": c.value(target)}

    def check(c, r):
        got, source = r.json(), c.objs["post"]
        c.expect("shared_from", got["shared_from"], source.id)
        c.expect("channel", got["channel_id"], c.value(target))
        c.expect("author", (got["author"] or {}).get("id"), c.w.user_id(c.role))
        c.expect("tlp", got["tlp"], "TLP:" + source.tlp)
        c.expect("title has the original's", source.title_token in got["title"], True)
        c.expect("Location", r.headers.get("Location"), "/api/v1/posts/" + got["id"])
    return base.Recipe(body=body, check=check)


def check_revisions(c, r):
    """The revisions whose own TLP admits the role, newest first, the
    editor masked as the post's author is."""
    p, w = c.post, c.w
    want = [(n, v) for n, v in enumerate(p.revisions, 1)
            if w.admits(c.role, v["tlp"], p.author, v["recipients"])][::-1]
    items = c.items(r)
    c.expect("revisions of %s" % p.key, [i["revision"] for i in items], [n for n, _ in want])
    for i, (n, v) in zip(items, want):
        c.expect("revision %d title" % n, v["title_token"] in i["title"], True)
        c.expect("revision %d tlp" % n, i["tlp"], "TLP:" + v["tlp"])
        c.expect("revision %d recipients" % n, i["recipients"],
                 [w.acct(x)["id"] for x in v["recipients"]] if v["tlp"] == "RED" else None)
        c.expect("revision %d editor" % n, (i["editor"] or {}).get("id"),
                 w.acct(v["editor"])["id"] if w.shows_author(c.role, p, v["editor"]) else None)


def check_comments(c, r):
    """The world's comments of the post (cells add more, by its commenter),
    their authors masked as isacd_shows_author says."""
    p, w = c.post, c.w
    got = {i["id"]: i for i in c.list_all(c.resolve(c.row.path))}
    for cm in p.comments:
        i = got.get(cm["id"])
        if i is None:
            c.problems.append("MODEL: comment of %s on %s missing" % (cm["author"], p.key))
            continue
        c.expect("comment body", i["body"], cm["token"])
        c.expect("comment of %s: author" % cm["author"], (i["author"] or {}).get("id"),
                 w.acct(cm["author"])["id"] if w.shows_author(c.role, p, cm["author"]) else None)
        c.expect("comment of %s: can_edit" % cm["author"], i["can_edit"], cm["author"] == c.role)
        c.expect("comment of %s: can_delete" % cm["author"], i["can_delete"],
                 cm["author"] == c.role or w.knows(c.role, p) == "moderate")


def check_comment_made(c, r):
    got = r.json()
    c.expect("author", (got["author"] or {}).get("id"), c.w.user_id(c.role))
    c.expect("post", got["post_id"], c.objs["post"].id)
    c.expect("can_edit", got["can_edit"], True)


def check_comment_edited(c, r):
    c.expect("body", r.json()["body"], "edited by " + c.role)


def check_comment_deleted(c, r):
    ids = {i["id"] for i in c.list_all(c.resolve(c.row.path.rsplit("/", 1)[0]))}
    c.expect("deleted comment listed", c.objs["comment"] in ids, False)


def check_sightings(c, r):
    """The post's sightings as shows_sighting says (on an anonymous post, a
    reader not shown the author sees the total and their own only), their
    organisations named as names_sighting says (roster "moderators"; never
    the anonymous author's)."""
    p, w = c.post, c.w
    got = r.json()
    c.expect("total", got["total"], len(p.sightings))
    by_note = {o["note"]: o for o in got["organisations"]}
    mine = w.acct(c.role)["org_id"]
    shown = [s for s in p.sightings if w.shows_sighting(c.role, p, s)]
    c.expect("sightings listed", sorted(by_note), sorted(s["token"] for s in shown))
    for s in shown:
        o, a = by_note.get(s["token"]), w.acct(s["by"])
        if o is None:
            c.problems.append("MODEL: sighting of %s on %s missing" % (s["by"], p.key))
            continue
        c.expect("sighting of %s: organisation" % s["by"], o["organisation"],
                 {"id": a["org_id"], "name": a["org_name"]}
                 if w.names_sighting(c.role, p, s) else None)
        c.expect("sighting of %s: mine" % s["by"], o["mine"], a["org_id"] == mine)
        c.expect("sighting of %s: count" % s["by"], o["count"], 1)


def check_sighting_made(c, r):
    got = r.json()
    c.expect("organisation", got["organisation"]["id"], c.w.acct(c.role)["org_id"])
    c.expect("note", got["note"], "seen by " + c.role)


def sight_again(c):
    """The role's organisation has seen the post already (a first POST)."""
    c.request("POST", c.resolve(c.row.path), json={"note": "seen first"})
    return {"note": "seen by " + c.role}


def check_stix(c, r):
    """A STIX 2.1 bundle of the post: the report names it, its indicators
    are patterns; an anonymous post has no identity, another one the
    author's organisation."""
    p, w = c.post, c.w
    c.expect("Content-Type", r.headers["Content-Type"].split(";")[0], "application/stix+json")
    bundle = r.json()
    c.expect("type", bundle["type"], "bundle")
    objs = bundle["objects"]
    reports = [o for o in objs if o["type"] == "report"]
    c.expect("report names", [o["name"] for o in reports], [p.title(w.word)])
    identities = [o["name"] for o in objs if o["type"] == "identity"]
    c.expect("identities", identities, [] if p.anonymous else [w.acct(p.author)["org_name"]])
    if p.anonymous:
        c.expect("created_by_ref", [o["id"] for o in objs if "created_by_ref" in o], [])
    patterns = " ".join(o.get("pattern", "") for o in objs if o["type"] == "indicator")
    for t, v in p.indicators:
        c.expect("pattern of %s %s" % (t, v), v in patterns, True)


def check_ref(c, ref, p):
    w = c.w
    ch = w.channel(p.ckey, p.kind)
    c.expect("ref of %s" % p.key, ref, dict(ref, **{
        "id": p.id, "title": p.title(w.word), "tlp": "TLP:" + p.tlp,
        "community": {"id": w.communities[p.ckey].id, "name": w.communities[p.ckey].name},
        "channel": {"id": ch["id"], "name": ch["name"]}}))


def search(params=lambda c: {}, keep=lambda p: True):
    """Every title has the world's word: the search finds exactly the posts
    the role may read (that the filters keep)."""
    def query(c):
        return dict(params(c), q=c.w.word)

    def check(c, r):
        want = {p.id: p for p in c.w.readable_posts(c.role) if keep(p)}
        items = c.list_all("/api/v1/search", **query(c))
        c.expect("found", sorted(i["post"]["id"] for i in items), sorted(want))
        for i in items:
            if i["post"]["id"] in want:
                check_ref(c, i["post"], want[i["post"]["id"]])
    return base.Recipe(params=query, check=check)


def newest_first(c, what, refs):
    times = [x["created_at"] for x in refs]
    c.expect("order of %s" % what, times, sorted(times, reverse=True))


def correlate(ikey, itype=None):
    def params(c):
        t, v = c.w.indicator[ikey]
        return {"type": itype or t, "value": v if not itype else "::ffff:" + v}

    def check(c, r):
        q = params(c)
        want = {p.id: (p, m) for p in c.w.readable_posts(c.role)
                for m in [c.w.correlates(p, q["type"], q["value"])] if m}
        items = c.items(r)
        c.expect("posts with %s %s" % (q["type"], q["value"]),
                 sorted(i["post"]["id"] for i in items), sorted(want))
        for i in items:
            if i["post"]["id"] in want:
                p, matched = want[i["post"]["id"]]
                check_ref(c, i["post"], p)
                c.expect("matched in %s" % p.key, i["matched"], matched)
        newest_first(c, "posts", [i["post"] for i in items])
    return base.Recipe(params=params, check=check)


LOOKUP = ("ip", "mapped", "cidr", "domain", "sha256")


def lookup_body(c):
    return {"indicators": [{"type": c.w.indicator[k][0], "value": c.w.indicator[k][1]}
                           for k in LOOKUP] + [{"type": "ipv4", "value": "300.1.2.3"}]}


def check_lookup(c, r):
    """Per value: how many posts the role may read carry it, and those posts."""
    got = r.json()
    c.expect("indexes", [x["index"] for x in got["results"]], list(range(len(LOOKUP))))
    c.expect("errors", [e["index"] for e in got["errors"]], [len(LOOKUP)])
    for x, k in zip(got["results"], LOOKUP):
        t, v = c.w.indicator[k]
        want = {p.id for p in c.w.readable_posts(c.role) if c.w.correlates(p, t, v)}
        c.expect("total of %s" % k, x["total"], len(want))
        c.expect("posts of %s" % k, sorted(p["id"] for p in x["posts"]), sorted(want))
        newest_first(c, "posts of %s" % k, x["posts"])


def replay_key():
    """The same body with the same Idempotency-Key, sent first by someone
    else (A's owner into a channel, the post's author on a post): keys are
    per user, so the first answer is replayed to the one who sent it only;
    everyone else's request is new."""
    def first_sender(c):
        return c.post.author if c.row.path.startswith("/posts/") else "owner"

    def body(c):
        t = token("REPLAY")
        if c.row.path.endswith("/posts"):
            b = {"kind": "discussion", "title": "Replay " + t, "body": t, "tlp": "TLP:AMBER"}
        elif c.row.path.endswith("/comments"):
            b = {"body": t}
        else:
            b = {"note": t}
        c.objs["key"] = "matrix-" + t
        who = first_sender(c)
        r = c.request("POST", c.resolve(c.row.path), token=c.w.acct(who)["token"], json=b,
                      headers={"Idempotency-Key": c.objs["key"]})
        first = base.expect(r, 201)
        c.made("first", (who, first), first.get("id"), t)
        return b

    def check(c, r):
        who, first = c.objs["first"]
        got = r.json()
        if c.role == who:
            c.expect("the first answer, replayed", got, first)
        else:
            c.expect("a new answer", got != first, True)
            mine = got.get("organisation") or got.get("author") or {}
            c.expect("whose", mine.get("id"),
                     c.w.acct(c.role)["org_id" if "organisation" in got else "id"])
    return base.Recipe(body=body, check=check,
                       headers=lambda c: {"Idempotency-Key": c.objs["key"]})


def new_post(tlp="TLP:GREEN", recipients=()):
    def body(c):
        b = {"kind": "discussion", "title": "New post by %s %s" % (c.role, tag()),
             "body": "hello from %s" % c.role, "tlp": tlp}
        if recipients:
            b["recipients"] = [c.w.user_id(x) for x in recipients]
            # the refusal of a recipient who may not read the channel names them
            c.allow.update(b["recipients"])
        return b
    return body


def hold_body(c):
    if c.role == "staff":
        # staff hold posts they may not read: the answer names the post
        c.allow.add(c.objs["post"].id)
    return {"legal_hold": True, "reason": "held by " + c.role}


def check_held(c, r):
    c.expect("hold", r.json(), {"id": c.objs["post"].id, "legal_hold": True,
                                "legal_hold_reason": "held by " + c.role})


Recipe = base.Recipe
RECIPES = {
    "hold": Recipe(body=hold_body, check=check_held),
    "-": Recipe(),
    "posts": Recipe(check=check_posts),
    "new-post": Recipe(body=new_post(), check=check_created),
    "red-for-reader": Recipe(body=new_post("TLP:RED", ("reader",)), check=check_created),
    "red-for-member": Recipe(body=new_post("TLP:RED", ("member",))),
    "post": Recipe(check=check_post),
    "edit": Recipe(body=lambda c: {"body": "edited by " + c.role}, check=check_edited),
    "unmask": Recipe(body=lambda c: {"anonymous": False}),
    "delete-post": Recipe(check=check_deleted),
    "revisions": Recipe(check=check_revisions),
    "comments": Recipe(check=check_comments),
    "comment": Recipe(body=lambda c: {"body": "a comment by " + c.role},
                      check=check_comment_made),
    "edit-comment": Recipe(body=lambda c: {"body": "edited by " + c.role},
                           check=check_comment_edited),
    "delete-comment": Recipe(check=check_comment_deleted),
    "sightings": Recipe(check=check_sightings),
    "sighting": Recipe(body=lambda c: {"note": "seen by " + c.role}, check=check_sighting_made),
    "sight-again": Recipe(body=sight_again),
    "stix": Recipe(check=check_stix),
    "search": search(),
    "search-in-B": search(lambda c: {"community_id": c.w.B.id}, lambda p: p.ckey == "B"),
    "search-red": search(lambda c: {"tlp": "TLP:RED"}, lambda p: p.tlp == "RED"),
    "replay-key": replay_key(),
    "correlate-ip": correlate("ip"),
    "correlate-mapped": correlate("ip", "ipv6"),
    "correlate-domain": correlate("domain"),
    "lookup": Recipe(body=lookup_body, check=check_lookup),
}
for _target in ("A.general", "A.restricted", "A.announcements", "B.general",
                "B.announcements"):
    RECIPES["to-%s~" % _target] = share_to(_target + "~")


# ---- fixtures and the cases ------------------------------------------------------

@pytest.fixture(scope="module")
def server(pg):
    s = Server(pg, ISACD_LOGIN_MAX_IP="100000")
    yield s
    s.stop()
    pg.drop_database(s.db)


@pytest.fixture(scope="module")
def world(server):
    """One world for every line: nothing a cell changes is read by another."""
    return build_posts(build_world(server))


CELLS = [pytest.param(row, role, id="%s [%s]" % (row.id, role)) for row in ROWS for role in ROLES]


@pytest.mark.parametrize("row,role", CELLS)
def test_access(server, world, row, role):
    base.run_cell(PostCell(server, world, row, role), RECIPES[row.recipe])


def test_the_table_is_whole():
    assert set(RECIPES) >= {r.recipe for r in ROWS}
    assert len(CELLS) == len(ROWS) * len(ROLES)


def model_status(w, row, role):
    """The status of a line as the world's model derives it from issue 8's
    rules, independently of the table."""
    writes = row.method != "GET" and not row.path.startswith("/indicators")
    names = re.findall(r"\{([^}]+)\}", row.path)
    if role == "anonymous":
        return 401
    if writes and role == "readonly":
        return 403
    if row.recipe == "hold":
        if role == "staff":
            return 200
        p = w.posts[names[0].rstrip("*")]
        k = w.knows(role, p)
        if k in (None, "suspended"):
            return {None: 404, "suspended": 403}[k]
        return 200 if role == "owner" else 403
    if row.recipe == "unmask":
        return 400
    if row.path.startswith("/channels/"):
        if names[0] == "unknown":
            return 404
        a = w.access(role, *names[0].rstrip("~").split("."))
        if a in (None, "suspended"):
            return {None: 404, "suspended": 403}[a]
        if row.method == "GET":
            return 200
        if a not in ("post", "moderate"):
            return 403
        return 422 if row.recipe == "red-for-member" else 201
    if not row.path.startswith("/posts/"):
        return 200
    if names[0] == "unknown":
        return 404
    p = w.posts[names[0].rstrip("*")]
    k = w.knows(role, p)
    if k in (None, "suspended"):
        return {None: 404, "suspended": 403}[k]
    shape = re.sub(r"\{[^}]+\}", "{}", row.path)
    commenter = next((a for key, a in COMMENTS if key == p.key), None)
    if row.method == "GET":
        return 200
    if shape == "/posts/{}":
        return (200 if role == p.author else 403) if row.method == "PATCH" else \
            204 if role == p.author or k == "moderate" else 403
    if shape == "/posts/{}/share":
        target = row.recipe[3:-1].split(".")
        t = w.access(role, *target)
        if p.tlp not in ("CLEAR", "GREEN"):
            return 422
        if t in (None, "suspended"):
            return {None: 404, "suspended": 403}[t]
        if t not in ("post", "moderate"):
            return 403
        return 422 if ".".join(target) == p.channel else 201
    if shape in ("/posts/{}/comments", "/posts/{}/sightings"):
        return 409 if row.recipe == "sight-again" else 201
    if names[1] != "comment*":      # not a comment of this post
        return 404
    if row.method == "PATCH":
        return 200 if role == commenter else 403
    return 204 if role == commenter or k == "moderate" else 403


def test_the_table_follows_the_model(world):
    """Every status of the table is also what the model derives: a slip in
    either shows here, before any request."""
    wrong = ["%s [%s]: table %d, model %d" % (row.id, role, row.expect[role], want)
             for row in ROWS for role in ROLES
             for want in [model_status(world, row, role)] if want != row.expect[role]]
    assert not wrong, "\n".join(wrong)


def test_the_leak_scan_knows_the_posts(server, world):
    """The scan is only as good as its lists: A/general's TLP:RED post is
    hidden from A's owner, a restricted post from a plain member, B's posts
    from A's people, the anonymous author from plain members; and a plain
    member may see what it reads."""
    hidden = world.hidden_from
    assert world.posts["A.general.RED"].id in hidden("owner").values()
    assert world.posts["A.restricted.RED"].id in hidden("moderator").values()
    assert world.posts["A.restricted.AMBER"].title_token in hidden("member").values()
    assert world.posts["B.general.CLEAR"].body_token in hidden("reader").values()
    assert world.posts["A.lowered"].revisions[0]["title_token"] in hidden("owner").values()
    assert world.users["member"]["id"] in hidden("reader").values()
    assert world.users["member"]["org_id"] in hidden("readonly").values()
    assert world.users["member"]["id"] not in hidden("moderator").values()
    seen = set(hidden("reader").values())
    assert not {world.posts["A.general.GREEN"].id, world.users["moderator"]["id"],
                world.users["moderator"]["org_id"]} & seen
    row = next(r for r in ROWS if r.path == "/posts/{A.restricted.RED}")
    cell = PostCell(server, world, row, "member")
    cell.scan(server.get("posts/" + world.posts["A.restricted.RED"].id,
                         token=world.users["owner"]["token"]), "the owner's answer")
    assert any("A.restricted.RED" in p for p in cell.problems), cell.problems
