//! French and English. Every text a page shows is a field of [`Msgs`], so a missing translation
//! is a compile error, not a blank on the page. The language comes from the `relais_lang`
//! cookie (set by the switch), then the account's choice, then the browser's `Accept-Language`.

mod audience;
mod inbox;
mod library;
mod listening;
mod moderation;
mod planning;

pub use audience::AudienceMsgs;
pub use inbox::InboxMsgs;
pub use library::LibraryMsgs;
pub use listening::ListenMsgs;
pub use moderation::ModerationMsgs;
pub use planning::PlanMsgs;
use relais_core::ErrorCode;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    Fr,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "en" => Some(Lang::En),
            "fr" => Some(Lang::Fr),
            _ => None,
        }
    }

    pub fn msgs(self) -> &'static Msgs {
        match self {
            Lang::En => &EN,
            Lang::Fr => &FR,
        }
    }

    /// The best of our languages for an `Accept-Language` header (RFC 9110 §12.5.4): the tag
    /// with the highest weight whose primary subtag we speak; English when none.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(u16, Lang)> = None;
        for part in header.split(',').take(32) {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("").trim();
            let primary = tag.split('-').next().unwrap_or("");
            let Some(lang) = Lang::parse(primary) else {
                continue;
            };
            let weight = pieces
                .filter_map(|p| p.trim().strip_prefix("q="))
                .filter_map(|q| q.trim().parse::<f32>().ok())
                .next()
                .unwrap_or(1.0);
            if !(0.0..=1.0).contains(&weight) || weight == 0.0 {
                continue;
            }
            let w = (weight * 1000.0) as u16;
            if best.is_none_or(|(bw, _)| w > bw) {
                best = Some((w, lang));
            }
        }
        best.map_or(Lang::En, |(_, l)| l)
    }
}

/// Every text of the web pages, in one language.
pub struct Msgs {
    /// The planning pages' texts.
    pub plan: &'static PlanMsgs,
    /// The media library's and the composer's extra texts.
    pub lib: &'static LibraryMsgs,
    /// The audience pages' texts.
    pub aud: &'static AudienceMsgs,
    /// The listening pages' texts.
    pub listen: &'static ListenMsgs,
    /// The inbox's conversation pages' texts (columns, conversations, contacts) and its tabs.
    pub inbox: &'static InboxMsgs,
    /// The inbox's moderation, set-up and figures pages' texts, and the public netiquette's.
    pub moder: &'static ModerationMsgs,
    pub lang_name: &'static str,
    pub other_lang_label: &'static str,
    pub tagline: &'static str,
    pub nav_publish: &'static str,
    pub nav_inbox: &'static str,
    pub nav_listening: &'static str,
    pub nav_community: &'static str,
    pub nav_contests: &'static str,
    pub nav_audience: &'static str,
    pub nav_reports: &'static str,
    pub nav_settings: &'static str,
    pub nav_workspaces: &'static str,
    pub log_out: &'static str,
    pub log_in: &'static str,
    pub email: &'static str,
    pub password: &'static str,
    pub password_again: &'static str,
    pub password_hint: &'static str,
    pub your_name: &'static str,
    pub setup_title: &'static str,
    pub setup_intro: &'static str,
    pub setup_button: &'static str,
    pub login_title: &'static str,
    pub passwords_differ: &'static str,
    pub workspaces_title: &'static str,
    pub no_workspace: &'static str,
    pub no_workspace_ask: &'static str,
    pub create_workspace: &'static str,
    pub workspace_name: &'static str,
    pub workspace_slug: &'static str,
    pub slug_hint: &'static str,
    pub create: &'static str,
    pub your_role: &'static str,
    pub open: &'static str,
    pub home_intro: &'static str,
    pub coming_title: &'static str,
    pub coming_text: &'static str,
    pub cap_publish: &'static str,
    pub cap_inbox: &'static str,
    pub cap_listening: &'static str,
    pub cap_community: &'static str,
    pub cap_contests: &'static str,
    pub cap_audience: &'static str,
    pub cap_reports: &'static str,
    pub members: &'static str,
    pub member: &'static str,
    pub role: &'static str,
    pub role_admin: &'static str,
    pub role_manager: &'static str,
    pub role_editor: &'static str,
    pub role_contributor: &'static str,
    pub role_analyst: &'static str,
    pub change: &'static str,
    pub remove: &'static str,
    pub remove_confirm: &'static str,
    pub invite_title: &'static str,
    pub invite_button: &'static str,
    pub invitations_pending: &'static str,
    pub expires: &'static str,
    pub revoke: &'static str,
    pub invite_sent: &'static str,
    pub invite_not_sent: &'static str,
    pub invite_link_label: &'static str,
    pub tokens_title: &'static str,
    pub tokens_intro: &'static str,
    pub token_name: &'static str,
    pub token_created: &'static str,
    pub token_last_used: &'static str,
    pub token_never: &'static str,
    pub token_revoked: &'static str,
    pub token_shown_once: &'static str,
    pub create_token: &'static str,
    pub audit_title: &'static str,
    pub audit_when: &'static str,
    pub audit_who: &'static str,
    pub audit_what: &'static str,
    pub audit_target: &'static str,
    pub audit_from: &'static str,
    pub audit_older: &'static str,
    pub audit_empty: &'static str,
    pub join_title: &'static str,
    pub join_intro: &'static str,
    pub join_as: &'static str,
    pub join_button: &'static str,
    pub join_wrong_account: &'static str,
    pub join_login_first: &'static str,
    pub error_title: &'static str,
    pub not_found: &'static str,
    pub forbidden: &'static str,
    pub back_home: &'static str,
    pub settings_members: &'static str,
    pub settings_tokens: &'static str,
    pub settings_audit: &'static str,
    pub nothing_here: &'static str,
    pub calendar_title: &'static str,
    pub view_week: &'static str,
    pub view_month: &'static str,
    pub previous: &'static str,
    pub next: &'static str,
    pub today: &'static str,
    pub move_to: &'static str,
    pub move_button: &'static str,
    pub drag_hint: &'static str,
    pub weekdays: &'static str,
    pub calendar_link: &'static str,
    pub calendar_link_make: &'static str,
    pub calendar_link_made: &'static str,
    pub compose_title: &'static str,
    pub compose_channels: &'static str,
    pub compose_text: &'static str,
    pub compose_thread_hint: &'static str,
    pub compose_at: &'static str,
    pub compose_zone: &'static str,
    pub compose_submit: &'static str,
    pub compose_submit_review: &'static str,
    pub compose_queued: &'static str,
    pub compose_pending: &'static str,
    pub compose_refused: &'static str,
    pub no_channels: &'static str,
    pub manage_channels: &'static str,
    pub posts_title: &'static str,
    pub posts_empty: &'static str,
    pub post_when: &'static str,
    pub post_now: &'static str,
    pub status_draft: &'static str,
    pub status_pending_approval: &'static str,
    pub status_scheduled: &'static str,
    pub status_published: &'static str,
    pub status_failed: &'static str,
    pub status_cancelled: &'static str,
    pub target_waiting: &'static str,
    pub target_queued: &'static str,
    pub target_publishing: &'static str,
    pub approve: &'static str,
    pub refuse: &'static str,
    pub view_post: &'static str,
    pub channels_title: &'static str,
    pub channel_add_bluesky: &'static str,
    pub channel_name: &'static str,
    pub channel_service: &'static str,
    pub channel_handle: &'static str,
    pub channel_app_password: &'static str,
    pub channel_app_password_hint: &'static str,
    pub channel_connect: &'static str,
    pub channel_connected: &'static str,
    pub channel_active: &'static str,
    pub channel_needs_reconnect: &'static str,
    pub channel_disabled: &'static str,
    pub vault_missing: &'static str,
    pub account_title: &'static str,
    pub current_password: &'static str,
    pub new_password: &'static str,
    pub change_password: &'static str,
    pub password_changed: &'static str,
    pub wrong_current_password: &'static str,
    pub sessions_title: &'static str,
    pub sessions_text: &'static str,
    pub sessions_button: &'static str,
    pub sessions_ended: &'static str,
    pub workspace_panel: &'static str,
    pub rename: &'static str,
}

pub static EN: Msgs = Msgs {
    plan: &planning::EN,
    lib: &library::EN,
    aud: &audience::EN,
    listen: &listening::EN,
    inbox: &inbox::EN,
    moder: &moderation::EN,
    lang_name: "English",
    other_lang_label: "Français",
    tagline: "Community management, self-hosted",
    nav_publish: "Publish",
    nav_inbox: "Inbox",
    nav_listening: "Listening",
    nav_community: "Community",
    nav_contests: "Contests & events",
    nav_audience: "Audience",
    nav_reports: "Reports",
    nav_settings: "Settings",
    nav_workspaces: "Workspaces",
    log_out: "Log out",
    log_in: "Log in",
    email: "E-mail",
    password: "Password",
    password_again: "Password again",
    password_hint: "At least 10 characters; a few words make a good one.",
    your_name: "Your name",
    setup_title: "Welcome to Relais",
    setup_intro: "Nobody has an account yet. Create the first administrator: you will then create a workspace for your brand.",
    setup_button: "Create the administrator",
    login_title: "Log in to Relais",
    passwords_differ: "The two passwords differ; type the same password twice.",
    workspaces_title: "Your workspaces",
    no_workspace: "You belong to no workspace yet.",
    no_workspace_ask: "Ask an administrator to invite you.",
    create_workspace: "New workspace",
    workspace_name: "Brand or client name",
    workspace_slug: "Short name in addresses",
    slug_hint: "Lowercase letters, digits and hyphens, such as acme-france.",
    create: "Create",
    your_role: "Your role",
    open: "Open",
    home_intro: "Everything for this brand, in one place.",
    coming_title: "On its way",
    coming_text: "This part of Relais is being built. It will appear here, in this workspace, as soon as it is ready.",
    cap_publish: "Write once, publish on every network, now or at a planned time.",
    cap_inbox: "Every comment, mention and message, answered as a team.",
    cap_listening: "What the networks, blogs, forums and news say about the brand.",
    cap_community: "Contacts, influencers, ambassadors and potential buyers.",
    cap_contests: "Contests, draws and live Q&A.",
    cap_audience: "Visitors and traffic that the social work brings to the site.",
    cap_reports: "What worked, in figures, to share.",
    members: "Members",
    member: "Member",
    role: "Role",
    role_admin: "Admin",
    role_manager: "Manager",
    role_editor: "Editor",
    role_contributor: "Contributor",
    role_analyst: "Analyst",
    change: "Change",
    remove: "Remove",
    remove_confirm: "Remove this member from the workspace?",
    invite_title: "Invite someone",
    invite_button: "Send the invitation",
    invitations_pending: "Pending invitations",
    expires: "Expires",
    revoke: "Revoke",
    invite_sent: "Invitation e-mailed to",
    invite_not_sent: "The invitation could not be e-mailed. Send this link yourself; it works once, for 7 days:",
    invite_link_label: "Invitation link",
    tokens_title: "API tokens",
    tokens_intro: "A token lets a script use the REST API of this workspace, with the role you choose. See /api/v1/openapi.json.",
    token_name: "What it is for",
    token_created: "Created",
    token_last_used: "Last used",
    token_never: "never",
    token_revoked: "revoked",
    token_shown_once: "Copy this token now: it will not be shown again.",
    create_token: "Create a token",
    audit_title: "Audit log",
    audit_when: "When (UTC)",
    audit_who: "Who",
    audit_what: "Action",
    audit_target: "On",
    audit_from: "From",
    audit_older: "Older entries",
    audit_empty: "Nothing recorded yet.",
    join_title: "Join a workspace",
    join_intro: "You are invited to join",
    join_as: "as",
    join_button: "Join",
    join_wrong_account: "This invitation was sent to another e-mail address. Log out, then open the link again.",
    join_login_first: "An account with this e-mail address exists: log in first, then open the link again.",
    error_title: "Something is not right",
    not_found: "This page does not exist, or you may not see it.",
    forbidden: "Your role in this workspace does not allow this. Ask a manager or an admin.",
    back_home: "Back to your workspaces",
    settings_members: "Members",
    settings_tokens: "API tokens",
    settings_audit: "Audit log",
    nothing_here: "Nothing here yet.",
    calendar_title: "Calendar",
    view_week: "Week",
    view_month: "Month",
    previous: "Previous",
    next: "Next",
    today: "Today",
    move_to: "Move to",
    move_button: "Move",
    drag_hint: "Drag a planned post to another day to move it; it keeps its time of day.",
    weekdays: "Mon,Tue,Wed,Thu,Fri,Sat,Sun",
    calendar_link: "Calendar link",
    calendar_link_make: "Make a calendar link",
    calendar_link_made: "Subscribe to this address in your calendar app (it is shown once; revoke it in Settings, API tokens):",
    compose_title: "New post",
    compose_channels: "Channels",
    compose_text: "Text",
    compose_thread_hint: "A line with only --- starts the next post of a thread.",
    compose_at: "When (empty: now)",
    compose_zone: "Time zone",
    compose_submit: "Publish",
    compose_submit_review: "Send for approval",
    compose_queued: "Queued: it will go out at the planned time.",
    compose_pending: "Sent for approval: an editor will publish it or say why not.",
    compose_refused: "Not queued:",
    no_channels: "No channel yet: connect one first.",
    manage_channels: "Channels",
    posts_title: "Posts",
    posts_empty: "No post yet.",
    post_when: "Planned",
    post_now: "as soon as possible",
    status_draft: "draft",
    status_pending_approval: "waiting for approval",
    status_scheduled: "planned",
    status_published: "published",
    status_failed: "failed",
    status_cancelled: "refused",
    target_waiting: "waiting",
    target_queued: "queued",
    target_publishing: "publishing",
    approve: "Approve",
    refuse: "Refuse",
    view_post: "view",
    channels_title: "Channels",
    channel_add_bluesky: "Connect a Bluesky account",
    channel_name: "Name in Relais",
    channel_service: "PDS (service address)",
    channel_handle: "Handle",
    channel_app_password: "App password",
    channel_app_password_hint: "Create one in Bluesky: Settings, Privacy and security, App passwords. Relais stores it sealed.",
    channel_connect: "Connect",
    channel_connected: "Connected as",
    channel_active: "active",
    channel_needs_reconnect: "to reconnect",
    channel_disabled: "off",
    vault_missing: "Relais has no key to seal credentials here: set RELAIS_SECRET_KEY (see relais config secret-key).",
    account_title: "Your account",
    current_password: "Current password",
    new_password: "New password",
    change_password: "Change the password",
    password_changed: "Password changed. Your other sessions were logged out.",
    wrong_current_password: "The current password is wrong.",
    sessions_title: "Other sessions",
    sessions_text: "Lost a phone, or logged in on a shared computer? End every session but this one.",
    sessions_button: "Log out everywhere else",
    sessions_ended: "Other sessions ended:",
    workspace_panel: "Workspace",
    rename: "Rename",
};

pub static FR: Msgs = Msgs {
    plan: &planning::FR,
    lib: &library::FR,
    aud: &audience::FR,
    listen: &listening::FR,
    inbox: &inbox::FR,
    moder: &moderation::FR,
    lang_name: "Français",
    other_lang_label: "English",
    tagline: "Le community management, chez vous",
    nav_publish: "Publier",
    nav_inbox: "Boîte de réception",
    nav_listening: "Veille",
    nav_community: "Communauté",
    nav_contests: "Concours & événements",
    nav_audience: "Audience",
    nav_reports: "Rapports",
    nav_settings: "Paramètres",
    nav_workspaces: "Espaces",
    log_out: "Se déconnecter",
    log_in: "Se connecter",
    email: "E-mail",
    password: "Mot de passe",
    password_again: "Mot de passe (encore)",
    password_hint: "Au moins 10 caractères ; quelques mots font un bon mot de passe.",
    your_name: "Votre nom",
    setup_title: "Bienvenue dans Relais",
    setup_intro: "Personne n’a encore de compte. Créez le premier administrateur : vous créerez ensuite un espace pour votre marque.",
    setup_button: "Créer l’administrateur",
    login_title: "Connexion à Relais",
    passwords_differ: "Les deux mots de passe diffèrent ; tapez deux fois le même.",
    workspaces_title: "Vos espaces",
    no_workspace: "Vous n’appartenez encore à aucun espace.",
    no_workspace_ask: "Demandez à un administrateur de vous inviter.",
    create_workspace: "Nouvel espace",
    workspace_name: "Nom de la marque ou du client",
    workspace_slug: "Nom court dans les adresses",
    slug_hint: "Minuscules, chiffres et tirets, par exemple acme-france.",
    create: "Créer",
    your_role: "Votre rôle",
    open: "Ouvrir",
    home_intro: "Tout pour cette marque, au même endroit.",
    coming_title: "En préparation",
    coming_text: "Cette partie de Relais est en construction. Elle apparaîtra ici, dans cet espace, dès qu’elle sera prête.",
    cap_publish: "Écrire une fois, publier sur chaque réseau, tout de suite ou à l’heure prévue.",
    cap_inbox: "Chaque commentaire, mention et message, traité en équipe.",
    cap_listening: "Ce que disent de la marque les réseaux, blogs, forums et médias.",
    cap_community: "Contacts, influenceurs, ambassadeurs et acheteurs potentiels.",
    cap_contests: "Jeux concours, tirages et questions-réponses en direct.",
    cap_audience: "Les visites et le trafic que le travail social apporte au site.",
    cap_reports: "Ce qui a marché, en chiffres, à partager.",
    members: "Membres",
    member: "Membre",
    role: "Rôle",
    role_admin: "Administrateur",
    role_manager: "Responsable",
    role_editor: "Éditeur",
    role_contributor: "Contributeur",
    role_analyst: "Analyste",
    change: "Modifier",
    remove: "Retirer",
    remove_confirm: "Retirer ce membre de l’espace ?",
    invite_title: "Inviter quelqu’un",
    invite_button: "Envoyer l’invitation",
    invitations_pending: "Invitations en attente",
    expires: "Expire",
    revoke: "Annuler",
    invite_sent: "Invitation envoyée par e-mail à",
    invite_not_sent: "L’invitation n’a pas pu partir par e-mail. Envoyez ce lien vous-même ; il sert une fois, pendant 7 jours :",
    invite_link_label: "Lien d’invitation",
    tokens_title: "Jetons d’API",
    tokens_intro: "Un jeton permet à un script d’utiliser l’API REST de cet espace, avec le rôle choisi. Voir /api/v1/openapi.json.",
    token_name: "À quoi il sert",
    token_created: "Créé",
    token_last_used: "Dernier usage",
    token_never: "jamais",
    token_revoked: "révoqué",
    token_shown_once: "Copiez ce jeton maintenant : il ne sera plus affiché.",
    create_token: "Créer un jeton",
    audit_title: "Journal d’audit",
    audit_when: "Quand (UTC)",
    audit_who: "Qui",
    audit_what: "Action",
    audit_target: "Sur",
    audit_from: "Depuis",
    audit_older: "Entrées plus anciennes",
    audit_empty: "Rien d’enregistré pour l’instant.",
    join_title: "Rejoindre un espace",
    join_intro: "Vous êtes invité à rejoindre",
    join_as: "comme",
    join_button: "Rejoindre",
    join_wrong_account: "Cette invitation a été envoyée à une autre adresse. Déconnectez-vous, puis rouvrez le lien.",
    join_login_first: "Un compte existe pour cette adresse : connectez-vous d’abord, puis rouvrez le lien.",
    error_title: "Quelque chose ne va pas",
    not_found: "Cette page n’existe pas, ou vous ne pouvez pas la voir.",
    forbidden: "Votre rôle dans cet espace ne le permet pas. Demandez à un responsable ou à un administrateur.",
    back_home: "Retour à vos espaces",
    settings_members: "Membres",
    settings_tokens: "Jetons d’API",
    settings_audit: "Journal d’audit",
    nothing_here: "Rien ici pour l’instant.",
    calendar_title: "Calendrier",
    view_week: "Semaine",
    view_month: "Mois",
    previous: "Précédent",
    next: "Suivant",
    today: "Aujourd’hui",
    move_to: "Déplacer au",
    move_button: "Déplacer",
    drag_hint: "Glissez une publication programmée vers un autre jour pour la déplacer ; elle garde son heure.",
    weekdays: "lun.,mar.,mer.,jeu.,ven.,sam.,dim.",
    calendar_link: "Lien de calendrier",
    calendar_link_make: "Créer un lien de calendrier",
    calendar_link_made: "Abonnez votre application de calendrier à cette adresse (affichée une seule fois ; révocable dans Paramètres, Jetons d’API) :",
    compose_title: "Nouvelle publication",
    compose_channels: "Canaux",
    compose_text: "Texte",
    compose_thread_hint: "Une ligne avec seulement --- commence le message suivant du fil.",
    compose_at: "Quand (vide : maintenant)",
    compose_zone: "Fuseau horaire",
    compose_submit: "Publier",
    compose_submit_review: "Envoyer pour validation",
    compose_queued: "Programmé : la publication partira à l’heure prévue.",
    compose_pending: "Envoyé pour validation : un éditeur le publiera ou dira pourquoi.",
    compose_refused: "Non programmé :",
    no_channels: "Aucun canal pour l’instant : connectez-en un d’abord.",
    manage_channels: "Canaux",
    posts_title: "Publications",
    posts_empty: "Aucune publication pour l’instant.",
    post_when: "Prévu",
    post_now: "dès que possible",
    status_draft: "brouillon",
    status_pending_approval: "à valider",
    status_scheduled: "programmé",
    status_published: "publié",
    status_failed: "échec",
    status_cancelled: "refusé",
    target_waiting: "en attente",
    target_queued: "en file",
    target_publishing: "en cours",
    approve: "Valider",
    refuse: "Refuser",
    view_post: "voir",
    channels_title: "Canaux",
    channel_add_bluesky: "Connecter un compte Bluesky",
    channel_name: "Nom dans Relais",
    channel_service: "PDS (adresse du service)",
    channel_handle: "Identifiant",
    channel_app_password: "Mot de passe d’application",
    channel_app_password_hint: "Créez-en un dans Bluesky : Réglages, Confidentialité et sécurité, Mots de passe d’application. Relais le garde scellé.",
    channel_connect: "Connecter",
    channel_connected: "Connecté en tant que",
    channel_active: "actif",
    channel_needs_reconnect: "à reconnecter",
    channel_disabled: "désactivé",
    vault_missing: "Relais n’a pas de clé pour sceller les identifiants : définissez RELAIS_SECRET_KEY (voir relais config secret-key).",
    account_title: "Votre compte",
    current_password: "Mot de passe actuel",
    new_password: "Nouveau mot de passe",
    change_password: "Changer le mot de passe",
    password_changed: "Mot de passe changé. Vos autres sessions ont été déconnectées.",
    wrong_current_password: "Le mot de passe actuel est incorrect.",
    sessions_title: "Autres sessions",
    sessions_text: "Téléphone perdu, ou connexion sur un ordinateur partagé ? Fermez toutes les sessions sauf celle-ci.",
    sessions_button: "Déconnecter partout ailleurs",
    sessions_ended: "Sessions fermées :",
    workspace_panel: "Espace",
    rename: "Renommer",
};

impl Msgs {
    pub fn post_status(&self, status: &str) -> &'static str {
        match status {
            "draft" => self.status_draft,
            "pending_approval" => self.status_pending_approval,
            "scheduled" => self.status_scheduled,
            "published" => self.status_published,
            "failed" => self.status_failed,
            "cancelled" => self.status_cancelled,
            "waiting" => self.target_waiting,
            "queued" => self.target_queued,
            "publishing" => self.target_publishing,
            "active" => self.channel_active,
            "needs_reconnect" => self.channel_needs_reconnect,
            "disabled" => self.channel_disabled,
            _ => self.nothing_here,
        }
    }

    pub fn role(&self, role: relais_core::Role) -> &'static str {
        use relais_core::Role::*;
        match role {
            Admin => self.role_admin,
            Manager => self.role_manager,
            Editor => self.role_editor,
            Contributor => self.role_contributor,
            Analyst => self.role_analyst,
        }
    }
}

/// A refusal in the page's language. English messages come from the domain with their details;
/// French ones are written here per code, and fall back to the English text when missing.
pub fn error_text(lang: Lang, code: ErrorCode, english: &str) -> String {
    if lang == Lang::En {
        return english.to_owned();
    }
    let fr = match code {
        ErrorCode::InvalidSlug => {
            "Ce nom court ne convient pas : utilisez de 2 à 40 minuscules, chiffres ou tirets, par exemple acme-france."
        }
        ErrorCode::InvalidEmail => {
            "Cette adresse e-mail n’est pas valide ; écrivez-la sous la forme nom@exemple.fr."
        }
        ErrorCode::InvalidName => "Un nom doit avoir de 1 à 100 caractères.",
        ErrorCode::WeakPassword => "Mot de passe trop court : au moins 10 caractères.",
        ErrorCode::UnknownRole => {
            "Rôle inconnu : choisissez administrateur, responsable, éditeur, contributeur ou analyste."
        }
        ErrorCode::SlugTaken => "Ce nom court est déjà pris ; choisissez-en un autre.",
        ErrorCode::EmailTaken => {
            "Cette adresse a déjà un compte ; connectez-vous ou utilisez une autre adresse."
        }
        ErrorCode::AlreadyMember => "Cette personne est déjà membre ; changez plutôt son rôle.",
        ErrorCode::WrongCredentials => "E-mail ou mot de passe incorrect.",
        ErrorCode::TooManyAttempts => {
            "Trop d’essais ; patientez quelques minutes avant de réessayer."
        }
        ErrorCode::CsrfRejected => {
            "Le formulaire a expiré ou ne vient pas de Relais ; rechargez la page et recommencez."
        }
        ErrorCode::InvitationExpired => {
            "Cette invitation a déjà servi, a été annulée ou a expiré ; demandez-en une nouvelle."
        }
        ErrorCode::LastAdmin => {
            "Un espace doit garder au moins un administrateur ; nommez-en un autre d’abord."
        }
        ErrorCode::SetupDone => "Relais est déjà installé ; connectez-vous.",
        ErrorCode::Forbidden => FR.forbidden,
        ErrorCode::NotFound => FR.not_found,
        ErrorCode::Unavailable => {
            "La base de données ne répond pas ; vérifiez qu’elle tourne et réessayez."
        }
        _ => return english.to_owned(),
    };
    fr.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_best_weighted_language_we_speak() {
        assert_eq!(
            Lang::from_accept_language("fr-FR,fr;q=0.9,en;q=0.8"),
            Lang::Fr
        );
        assert_eq!(
            Lang::from_accept_language("de-DE,en;q=0.5,fr;q=0.7"),
            Lang::Fr
        );
        assert_eq!(Lang::from_accept_language("en-GB,fr;q=0.9"), Lang::En);
        assert_eq!(
            Lang::from_accept_language("de,es"),
            Lang::En,
            "English when none matches"
        );
        assert_eq!(
            Lang::from_accept_language("fr;q=0"),
            Lang::En,
            "q=0 means not acceptable"
        );
        assert_eq!(Lang::from_accept_language(""), Lang::En);
        assert_eq!(
            Lang::from_accept_language("fr;q=abc, en;q=2"),
            Lang::Fr,
            "bad weights ignored"
        );
    }

    #[test]
    fn french_error_texts_exist_for_what_users_meet_most() {
        for code in [
            ErrorCode::WrongCredentials,
            ErrorCode::SlugTaken,
            ErrorCode::CsrfRejected,
        ] {
            let fr = error_text(Lang::Fr, code, "english");
            assert_ne!(fr, "english", "{code} needs French");
        }
        assert_eq!(error_text(Lang::En, ErrorCode::SlugTaken, "as is"), "as is");
    }
}
