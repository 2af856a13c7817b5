//! Which conversation a new message belongs to.
//!
//! A conversation is a thread as the network shows it, cut where the team would cut it: an
//! answer joins the conversation of the message it answers (the fan's mention, or the team's
//! reply to it), so a back-and-forth stays one conversation; but two fans answering the same
//! brand post start two conversations, because each needs its own answer and may go to a
//! different member. Private messages group by the network's private thread (or, where the
//! network has none, by author). Reposts of one brand post gather in one conversation, since
//! they ask for no answer and would otherwise flood the list.
//!
//! The decision names network ids in order of preference ([`Threading::candidates`]); the store
//! takes the conversation of the first one it knows, inside the transaction that adds the
//! message, so that two paths delivering the same thread at once cannot split it.

/// Why a message arrived, as far as threading cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrival {
    Mention,
    Reply,
    Comment,
    Quote,
    Repost,
    Direct,
    /// Sent over from listening (a mention found by a search or a feed).
    Listening,
}

/// What a message says about its place in a thread (network ids).
#[derive(Clone, Copy, Debug)]
pub struct ThreadRefs<'a> {
    pub arrival: Arrival,
    pub network_id: &'a str,
    pub author_id: &'a str,
    /// What it answers directly.
    pub parent: Option<&'a str>,
    /// The first post of its thread.
    pub root: Option<&'a str>,
    /// The brand post it quotes or reposts.
    pub subject: Option<&'a str>,
    /// The network's private conversation id.
    pub direct_thread: Option<&'a str>,
}

/// Where a message goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Threading {
    /// Network ids or thread keys whose conversation takes the message, best first.
    pub candidates: Vec<String>,
    /// The thread key of a new conversation when no candidate is known.
    pub new_key: String,
}

/// Prefix of the thread key of a private conversation.
const DIRECT: &str = "direct:";
/// Prefix of the thread key that gathers the reposts of one post.
const REPOSTS: &str = "reposts:";

pub fn threading(refs: &ThreadRefs<'_>) -> Threading {
    let own = refs.network_id.to_owned();
    match refs.arrival {
        Arrival::Direct => {
            let key = match refs.direct_thread {
                Some(thread) if !thread.is_empty() => format!("{DIRECT}{thread}"),
                _ => format!("{DIRECT}author:{}", refs.author_id),
            };
            // A private answer may still name its parent (Mastodon's direct statuses do).
            let mut candidates: Vec<String> = refs.parent.map(str::to_owned).into_iter().collect();
            candidates.push(key.clone());
            Threading {
                candidates,
                new_key: key,
            }
        }
        Arrival::Repost => {
            let key = match refs.subject {
                Some(subject) => format!("{REPOSTS}{subject}"),
                None => own,
            };
            Threading {
                candidates: vec![key.clone()],
                new_key: key,
            }
        }
        // A quote opens a thread of its own, under its own id.
        Arrival::Quote => Threading {
            candidates: Vec::new(),
            new_key: own,
        },
        Arrival::Mention | Arrival::Reply | Arrival::Comment | Arrival::Listening => {
            // The parent first: it is the message answered. The root next: a thread a fan
            // started (a mention the team handles) gathers every answer under it. A root that
            // is the brand's own post is never a stored message nor a thread key, so it never
            // matches, and each answer to a brand post starts its own conversation.
            let mut candidates = Vec::new();
            for id in [refs.parent, refs.root].into_iter().flatten() {
                if id != refs.network_id && !candidates.iter().any(|c| c == id) {
                    candidates.push(id.to_owned());
                }
            }
            Threading {
                candidates,
                new_key: own,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(arrival: Arrival) -> ThreadRefs<'static> {
        ThreadRefs {
            arrival,
            network_id: "m1",
            author_id: "fan",
            parent: None,
            root: None,
            subject: None,
            direct_thread: None,
        }
    }

    #[test]
    fn an_answer_looks_for_its_parent_then_its_root_and_else_starts_under_its_own_id() {
        let t = threading(&ThreadRefs {
            parent: Some("p"),
            root: Some("r"),
            ..refs(Arrival::Reply)
        });
        assert_eq!(t.candidates, ["p", "r"]);
        assert_eq!(t.new_key, "m1");
        let direct_answer = threading(&ThreadRefs {
            parent: Some("r"),
            root: Some("r"),
            ..refs(Arrival::Reply)
        });
        assert_eq!(direct_answer.candidates, ["r"]);
    }

    #[test]
    fn a_mention_that_starts_a_thread_has_no_candidate() {
        let t = threading(&refs(Arrival::Mention));
        assert!(t.candidates.is_empty());
        assert_eq!(t.new_key, "m1");
        // A root naming the message itself (some networks say so) is no candidate either.
        let t = threading(&ThreadRefs {
            root: Some("m1"),
            ..refs(Arrival::Mention)
        });
        assert!(t.candidates.is_empty());
    }

    #[test]
    fn private_messages_group_by_thread_or_else_by_author() {
        let t = threading(&ThreadRefs {
            direct_thread: Some("c9"),
            ..refs(Arrival::Direct)
        });
        assert_eq!(t.new_key, "direct:c9");
        assert_eq!(t.candidates, ["direct:c9"]);
        let t = threading(&ThreadRefs {
            parent: Some("p"),
            ..refs(Arrival::Direct)
        });
        assert_eq!(t.new_key, "direct:author:fan");
        assert_eq!(t.candidates, ["p", "direct:author:fan"]);
    }

    #[test]
    fn reposts_of_one_post_gather_and_quotes_stand_alone() {
        let a = threading(&ThreadRefs {
            subject: Some("brand-post"),
            ..refs(Arrival::Repost)
        });
        let b = threading(&ThreadRefs {
            network_id: "m2",
            subject: Some("brand-post"),
            ..refs(Arrival::Repost)
        });
        assert_eq!(a.new_key, b.new_key);
        assert_eq!(a.candidates, std::slice::from_ref(&a.new_key));
        let quote = threading(&ThreadRefs {
            subject: Some("brand-post"),
            ..refs(Arrival::Quote)
        });
        assert!(quote.candidates.is_empty());
        assert_eq!(quote.new_key, "m1");
    }
}
