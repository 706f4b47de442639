/**
 * Subjects of the Transport port (`.`-separated, `*` one token, `>` the
 * rest) as MQTT topics (`/`-separated, `+`, `#`) and back. A subject token
 * may not contain `/`, `+` or `#`, which would change the topic's meaning.
 */
export function subjectToTopic(subject: string, { filter = false } = {}): string {
  const tokens = subject.split(".");
  return tokens
    .map((token, index) => {
      if (filter && token === "*") return "+";
      if (filter && token === ">" && index === tokens.length - 1) return "#";
      if (/[/+#]/.test(token) || token === "") {
        throw new RangeError(`subject ${JSON.stringify(subject)} has a token MQTT cannot carry: ${JSON.stringify(token)}`);
      }
      if (!filter && (token === "*" || token === ">")) {
        throw new RangeError(`subject ${JSON.stringify(subject)}: wildcards are for subscribing, not publishing`);
      }
      return token;
    })
    .join("/");
}

/** The Transport subject of an MQTT topic. */
export function topicToSubject(topic: string): string {
  return topic.split("/").join(".");
}

/** A shared subscription (`$share/<group>/<filter>`): each message goes to one member of the group. */
export function sharedTopic(group: string, filter: string): string {
  if (/[/+#]/.test(group) || group === "") throw new RangeError(`share group ${JSON.stringify(group)} may not be empty or hold / + #`);
  return `$share/${group}/${filter}`;
}

/**
 * Whether `topic` matches the MQTT topic `filter` (`+` one level, `#` the
 * rest). Needed because one client hears every subscription's messages on
 * one event; `$share/group/` prefixes are removed first.
 */
export function topicMatches(filter: string, topic: string): boolean {
  const shared = /^\$share\/[^/]+\/(.*)$/.exec(filter);
  const levels = (shared?.[1] ?? filter).split("/");
  const parts = topic.split("/");
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i];
    if (level === "#") return i < parts.length || (i === parts.length && i > 0);
    if (i >= parts.length) return false;
    if (level !== "+" && level !== parts[i]) return false;
  }
  return levels.length === parts.length;
}
