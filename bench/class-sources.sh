#!/usr/bin/env bash
# Loaded classes per source, from a -Xlog:class+load log: bench/class-sources.sh <classes.log> [karaf home]
# A class a bundle defines has no code source in the log: it is attributed by package, the package's first three
# segments (io.outpost.containers, org.apache.sshd, com.fasterxml.jackson, ...). Classes of the JDK count by module,
# Karaf's boot jars by jar.
set -euo pipefail
log=$1
awk '
  / source: / {
    name = $2; src = $0; sub(/.* source: /, "", src)
    if (src ~ /^jrt:\//) { sub(/^jrt:\//, "", src); key = "JDK " src }
    else if (src ~ /shared objects file/) { key = "JDK (CDS archive)" }
    else if (src ~ /^file:/ || src ~ /^\//) { n = split(src, parts, "/"); key = "jar " parts[n] }
    else { key = "" }
    if (key == "" || src ~ /__JVM_DefineClass__|__Lookup_defineClass__|instance of/) {
      if (name ~ /\$\$Lambda|LambdaForm|^jdk\.internal\.reflect\.Generated|\$Proxy/) { key = "generated (lambdas, proxies, reflection)" }
      else { n = split(name, p, "."); key = "package " p[1] "." p[2] (n > 3 ? "." p[3] : "") }
    }
    count[key]++; total++
  }
  END {
    for (k in count) printf "%7d  %s\n", count[k], k
    printf "%7d  total\n", total
  }' "$log" | sort -rn | head -${CLASS_SOURCES_TOP:-45}
