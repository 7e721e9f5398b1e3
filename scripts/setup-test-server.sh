#!/usr/bin/env bash
# Find or fetch Temporal's Java test server: the server behind the SDK's
# time-skipping test environment (`TestWorkflowEnvironment.createTimeSkipping`),
# used by the workflow-level tests in test/workflow (ARCHITECTURE.md "Tests").
# The SDK would download a native build of it, which is not reachable from
# every machine; Maven Central has the same server as a jar.
#
# Lookup order:
#   1. $TEMPORAL_TEST_SERVER_PATH (any executable taking `<port> [flags]`,
#      e.g. the SDK's own downloaded binary)
#   2. the cache outside the clone:
#      ${TEMPOFLOW_CACHE_DIR:-~/.cache/tempoflow}/test-server/<version>/temporal-test-server
# If none is found, io.temporal:temporal-test-server:<version> and its
# dependencies are fetched with Maven into the cache, a class-data-sharing
# archive is dumped (it cuts the JVM's start from seconds to under one), and
# a wrapper script is written that runs the server.
#
# Prints the path of the executable as its last line. Idempotent: a second
# call returns at once. Exit code 0 on success, 1 when no server can be had
# (Java or Maven missing, or the fetch failed), with what to install.
set -euo pipefail

VERSION="${TEMPORAL_TEST_SERVER_VERSION:-1.38.0}"
# slf4j-api comes with the server; the no-op binding keeps its start-up warnings off the test output.
SLF4J_VERSION=1.7.36
DEPENDENCY_PLUGIN_VERSION=3.6.1
CACHE_DIR="${TEMPOFLOW_CACHE_DIR:-$HOME/.cache/tempoflow}"
SERVER_DIR="$CACHE_DIR/test-server/$VERSION"
WRAPPER="$SERVER_DIR/temporal-test-server"

say() { printf '[setup-test-server] %s\n' "$*" >&2; }

# A generated wrapper is usable while its Java and every jar it names still exist.
usable_wrapper() {
  [ -x "$WRAPPER" ] && [ -f "$SERVER_DIR/classpath" ] || return 1
  local java jar
  java=$(sed -n 's/^java=//p' "$SERVER_DIR/classpath")
  [ -n "$java" ] && [ -x "$java" ] || return 1
  while IFS= read -r jar; do
    [ -f "$jar" ] || return 1
  done < <(sed -n 's/^jar=//p' "$SERVER_DIR/classpath")
}

if [ -n "${TEMPORAL_TEST_SERVER_PATH:-}" ]; then
  if [ -x "$TEMPORAL_TEST_SERVER_PATH" ]; then
    echo "$TEMPORAL_TEST_SERVER_PATH"
    exit 0
  fi
  say "TEMPORAL_TEST_SERVER_PATH=$TEMPORAL_TEST_SERVER_PATH is not an executable; fix or unset it."
  exit 1
fi

if usable_wrapper; then
  echo "$WRAPPER"
  exit 0
fi

# The Java the wrapper will run: $JAVA_HOME's, else the one on PATH.
java_bin=""
if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
  java_bin="$JAVA_HOME/bin/java"
elif command -v java >/dev/null 2>&1; then
  java_bin=$(command -v java)
fi
missing=()
[ -n "$java_bin" ] || missing+=("Java 11 or later (a JRE is enough; Debian/Ubuntu: apt-get install openjdk-17-jre-headless)")
command -v mvn >/dev/null 2>&1 || missing+=("Maven 3 (Debian/Ubuntu: apt-get install maven; or https://maven.apache.org/download.cgi)")
if [ "${#missing[@]}" -gt 0 ]; then
  say "The workflow tests need Temporal's test server, which runs on Java and is fetched with Maven."
  for m in "${missing[@]}"; do say "  missing: $m"; done
  say "Install what is missing and run this script again, or point TEMPORAL_TEST_SERVER_PATH at"
  say "an existing temporal-test-server executable."
  exit 1
fi
java_bin=$(readlink -f "$java_bin")
java_major=$("$java_bin" -version 2>&1 | sed -nE '1s/.*version "(1\.)?([0-9]+).*/\2/p')
if [ -z "$java_major" ] || [ "$java_major" -lt 11 ]; then
  say "$java_bin is Java ${java_major:-of unknown version}; the test server needs Java 11 or later"
  say "(Debian/Ubuntu: apt-get install openjdk-17-jre-headless, then set JAVA_HOME or put it first on PATH)."
  exit 1
fi

mkdir -p "$CACHE_DIR/test-server"
# One fetch at a time per cache: a second caller waits for the first.
exec 9>"$CACHE_DIR/test-server/fetch.lock"
if ! flock -n 9; then
  say "another fetch of the test server is running; waiting for it..."
  flock 9
  if usable_wrapper; then
    echo "$WRAPPER"
    exit 0
  fi
fi

say "fetching io.temporal:temporal-test-server:$VERSION and its dependencies with Maven into $SERVER_DIR"
say "this takes about half a minute; it happens once per machine"
start=$(date +%s)
work=$(mktemp -d "$CACHE_DIR/test-server/fetch.XXXXXX")
server_pid=""
cleanup() {
  [ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# A throwaway project whose only purpose is to name the server as a dependency.
cat >"$work/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.tempoflow</groupId>
  <artifactId>temporal-test-server-fetch</artifactId>
  <version>0</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>io.temporal</groupId>
      <artifactId>temporal-test-server</artifactId>
      <version>$VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-nop</artifactId>
      <version>$SLF4J_VERSION</version>
    </dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-dependency-plugin</artifactId>
        <version>$DEPENDENCY_PLUGIN_VERSION</version>
      </plugin>
    </plugins>
  </build>
</project>
EOF
if ! mvn -B -q -Dstyle.color=never -f "$work/pom.xml" dependency:copy-dependencies \
  -DincludeScope=runtime -DoutputDirectory="$work/lib" >"$work/mvn.log" 2>&1; then
  sed 's/^/[setup-test-server] mvn: /' "$work/mvn.log" | tail -n 30 >&2
  say "Maven could not fetch io.temporal:temporal-test-server:$VERSION (see above)."
  say "Check that Maven Central (https://repo.maven.apache.org) is reachable, or set"
  say "TEMPORAL_TEST_SERVER_VERSION to a version that exists."
  exit 1
fi
if ! ls "$work/lib/temporal-test-server-$VERSION.jar" >/dev/null 2>&1; then
  say "Maven finished but temporal-test-server-$VERSION.jar is not among the fetched jars"
  exit 1
fi

# Move into place, then name every jar by its final path (a class-data-sharing
# archive is only used with the exact class path it was dumped with).
rm -rf "$SERVER_DIR"
mkdir -p "$SERVER_DIR"
mv "$work/lib" "$SERVER_DIR/lib"
classpath=$(find "$SERVER_DIR/lib" -name '*.jar' | LC_ALL=C sort | paste -sd: -)
jvm_flags=(-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx512m)

# Dump the classes the server loads at start-up into an archive: start it once,
# wait until it listens, stop it (the JVM writes the archive as it exits).
cds_flags=()
port=$((20000 + RANDOM % 20000))
"$java_bin" "${jvm_flags[@]}" -XX:ArchiveClassesAtExit="$SERVER_DIR/classes.jsa" -Xlog:cds=off -Xlog:cds+dynamic=off \
  -cp "$classpath" io.temporal.testserver.TestServer "$port" >"$work/dump.log" 2>&1 &
server_pid=$!
listening=0
for _ in $(seq 1 600); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    listening=1
    break
  fi
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
if [ "$listening" = 1 ]; then
  sleep 1
  kill -TERM "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  if [ -s "$SERVER_DIR/classes.jsa" ]; then
    cds_flags=(-XX:SharedArchiveFile="$SERVER_DIR/classes.jsa" -Xlog:cds=off -Xlog:cds+dynamic=off)
  fi
else
  say "the test server did not listen on port $port during the trial start:"
  sed 's/^/[setup-test-server] java: /' "$work/dump.log" | tail -n 20 >&2
  kill -KILL "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  say "the wrapper is written anyway; its start will be slower without the class archive"
fi
[ "${#cds_flags[@]}" -gt 0 ] || say "no class-data-sharing archive: each start of the test server takes a few seconds"

{
  echo "#!/usr/bin/env bash"
  echo "# Generated by tempoflow's scripts/setup-test-server.sh: Temporal's Java test server $VERSION."
  echo "# Usage: temporal-test-server <port> [--enable-time-skipping]"
  echo "# exec, so that whoever started this script stops the JVM by stopping this process."
  printf 'exec %q' "$java_bin"
  printf ' %q' "${jvm_flags[@]}" "${cds_flags[@]}" -cp "$classpath" io.temporal.testserver.TestServer
  echo ' "$@"'
} >"$work/wrapper"
chmod +x "$work/wrapper"
{
  echo "java=$java_bin"
  tr ':' '\n' <<<"$classpath" | sed 's/^/jar=/'
} >"$SERVER_DIR/classpath"
mv "$work/wrapper" "$WRAPPER"

say "ready in $(($(date +%s) - start)) s: $(du -sh "$SERVER_DIR" | cut -f1) in $SERVER_DIR (Maven's own copy stays in its local repository)"
echo "$WRAPPER"
