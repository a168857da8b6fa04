# shellcheck shell=bash
# Development secrets of `npm start`, made once and kept in the state
# directory (git-ignored): the key that encrypts SFTP secrets and the API
# token. Readable by their owner only, made so (umask 077) rather than
# tightened afterwards, and files an older version wrote more openly are
# tightened too. In production set FERRY_SECRET_KEY(S) and API_TOKENS yourself.

# make_dev_secrets DIR: DIR/secret.key (32 random bytes, base64) and DIR/api-token.
make_dev_secrets() {
  local dir=$1
  (
    umask 077
    [[ -s $dir/secret.key ]] || head -c 32 /dev/urandom | base64 >"$dir/secret.key"
    [[ -s $dir/api-token ]] || head -c 18 /dev/urandom | base64 | tr '+/' '-_' >"$dir/api-token"
  )
  chmod 600 "$dir/secret.key" "$dir/api-token"
}
