#!/bin/sh
# A CGI/1.1 program in POSIX sh (RFC 3875): meta-variables in, a document response out
# (§6.2.1: Content-Type, an empty line, the body). tuxd runs it with a clean environment, in
# this directory, and as an unprivileged user when tuxd itself runs as root.
printf 'Content-Type: text/plain; charset=utf-8\n'
printf '\n'
printf 'Hello from %s, running as %s.\n\n' "$SERVER_SOFTWARE" "$(id -un 2>/dev/null || id -u)"
for name in GATEWAY_INTERFACE SERVER_PROTOCOL SERVER_NAME SERVER_PORT REQUEST_METHOD \
  REQUEST_URI SCRIPT_NAME PATH_INFO PATH_TRANSLATED QUERY_STRING REMOTE_ADDR \
  HTTP_USER_AGENT; do
  printf '%s=%s\n' "$name" "$(printenv "$name")"
done
