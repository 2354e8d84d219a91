//! Every string the pages show, in English and Russian, in one place. Templates read them as
//! `t.key`; the admin page's script reads `t.errors` by error code.

use axum::http::HeaderMap;
use invite_core::Language;
use std::collections::BTreeMap;

/// The page language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Russian.
    Ru,
}

impl Lang {
    /// `en` or `ru`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ru => "ru",
        }
    }

    /// The page language of an organization's message language.
    pub fn of(language: Language) -> Self {
        match language {
            Language::Ru => Lang::Ru,
            _ => Lang::En,
        }
    }

    /// From `?lang=`, then the `invite_lang` cookie, then `Accept-Language`, else English.
    pub fn pick(query: Option<&str>, headers: &HeaderMap) -> Self {
        let parse = |s: &str| match s.trim() {
            "ru" => Some(Lang::Ru),
            "en" => Some(Lang::En),
            _ => None,
        };
        if let Some(l) = query.and_then(parse) {
            return l;
        }
        if let Some(l) = crate::cookies::get(headers, "invite_lang").and_then(|v| parse(&v)) {
            return l;
        }
        let accept = headers
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if accept.trim_start().to_ascii_lowercase().starts_with("ru") {
            Lang::Ru
        } else {
            Lang::En
        }
    }

    /// Every string, by key.
    pub fn strings(self) -> BTreeMap<&'static str, &'static str> {
        let i = match self {
            Lang::En => 0,
            Lang::Ru => 1,
        };
        STRINGS.iter().map(|(k, v)| (*k, v[i])).collect()
    }

    /// Error texts by error code (the API's `code`).
    pub fn errors(self) -> BTreeMap<&'static str, &'static str> {
        let i = match self {
            Lang::En => 0,
            Lang::Ru => 1,
        };
        ERRORS.iter().map(|(k, v)| (*k, v[i])).collect()
    }
}

const STRINGS: &[(&str, [&str; 2])] = &[
    ("invitations", ["Invitations", "Приглашения"]),
    ("dashboard", ["Invitation status", "Статус приглашений"]),
    ("msp_dashboard", ["MSP dashboard", "Панель MSP"]),
    ("client_dashboard", ["Client dashboard", "Панель клиента"]),
    (
        "org_dashboard",
        ["Organization dashboard", "Панель организации"],
    ),
    ("all", ["All", "Все"]),
    ("pending", ["Pending", "Ожидают"]),
    (
        "expired_or_failed",
        ["Expired or Failed", "Истекли или ошибка"],
    ),
    ("never_used", ["Never Used", "Не входили"]),
    ("completed", ["Completed", "Завершены"]),
    (
        "invited_by_email",
        ["Invited by e-mail", "Приглашено по e-mail"],
    ),
    ("invited_by_sms", ["Invited by SMS", "Приглашено по SMS"]),
    ("seats", ["Seats", "Места"]),
    ("seats_used", ["used", "занято"]),
    ("seats_available", ["available", "свободно"]),
    ("seats_limit", ["limit", "всего"]),
    (
        "reminders",
        ["Daily reminder at 10:00", "Ежедневное напоминание в 10:00"],
    ),
    ("reminders_on", ["on", "вкл."]),
    ("reminders_off", ["off", "выкл."]),
    ("graphs", ["Last 14 days", "Последние 14 дней"]),
    ("sent", ["Sent", "Отправлено"]),
    ("signups", ["Signups", "Регистрации"]),
    ("first_logins", ["First logins", "Первые входы"]),
    ("completion_share", ["Completion share", "Доля завершённых"]),
    ("search", ["Search by address", "Поиск по адресу"]),
    ("search_button", ["Search", "Найти"]),
    ("sort", ["Sort", "Сортировка"]),
    ("sort_last_invited", ["Last invited", "Дата приглашения"]),
    ("sort_signed_up", ["Signed up", "Дата регистрации"]),
    ("newest_first", ["newest first", "сначала новые"]),
    ("oldest_first", ["oldest first", "сначала старые"]),
    ("select", ["Select", "Выбрать"]),
    ("select_all", ["Select all rows", "Выбрать все строки"]),
    ("address", ["Address", "Адрес"]),
    ("status", ["Status", "Статус"]),
    ("type", ["Type", "Тип"]),
    ("last_invited", ["Last invited", "Приглашён"]),
    ("signed_up", ["Signed up", "Зарегистрирован"]),
    ("actions", ["Actions", "Действия"]),
    (
        "no_rows",
        ["No invitations here.", "Здесь нет приглашений."],
    ),
    ("next_page", ["Next page", "Следующая страница"]),
    ("first_page", ["First page", "Первая страница"]),
    ("resend", ["Resend", "Отправить снова"]),
    ("cancel", ["Delete", "Удалить"]),
    ("edit_access", ["Edit access", "Изменить доступ"]),
    ("details", ["Details", "Подробнее"]),
    ("send_follow_up", ["Send follow-up", "Напомнить"]),
    ("mark_completed", ["Mark completed", "Отметить завершённым"]),
    (
        "resend_selected",
        ["Resend selected", "Отправить выбранным"],
    ),
    ("delete_selected", ["Delete selected", "Удалить выбранные"]),
    (
        "confirm_resend",
        ["Resend these invitations?", "Отправить приглашения снова?"],
    ),
    (
        "confirm_delete",
        ["Delete these invitations?", "Удалить приглашения?"],
    ),
    ("will_resend", ["will be resent", "будет отправлено снова"]),
    ("will_delete", ["will be deleted", "будет удалено"]),
    ("will_skip", ["cannot be changed", "нельзя изменить"]),
    ("confirm", ["Confirm", "Подтвердить"]),
    ("close", ["Close", "Закрыть"]),
    ("invite_user", ["Invite user", "Пригласить"]),
    ("invite", ["Invite", "Пригласить"]),
    ("invite_type", ["Invitation type", "Тип приглашения"]),
    ("type_user", ["User", "Пользователь"]),
    ("type_admin", ["Admin", "Администратор"]),
    ("permission_level", ["Permission level", "Уровень доступа"]),
    ("role", ["Role", "Роль"]),
    ("read_only", ["Read only", "Только чтение"]),
    ("admin", ["Admin", "Администратор"]),
    ("no_access", ["No access", "Нет доступа"]),
    (
        "addresses",
        [
            "E-mail addresses or phone numbers",
            "Адреса e-mail или номера телефонов",
        ],
    ),
    ("add_address", ["+ Add another address", "+ Ещё адрес"]),
    ("client", ["Client", "Клиент"]),
    ("clients_grid", ["Access per client", "Доступ по клиентам"]),
    ("invited_ok", ["Invited", "Приглашён"]),
    ("members", ["Members", "Участники"]),
    ("member_list", ["Member list", "Список участников"]),
    ("joined", ["Joined", "Присоединился"]),
    ("first_login", ["First login", "Первый вход"]),
    ("invited_by", ["Invited by", "Пригласил"]),
    ("access", ["Access", "Доступ"]),
    ("no_members", ["No members yet.", "Участников пока нет."]),
    ("direct_member", ["added directly", "добавлен напрямую"]),
    ("back", ["Back to the dashboard", "Назад к панели"]),
    ("failure", ["Reason", "Причина"]),
    ("expires", ["Link valid until", "Ссылка действует до"]),
    ("history", ["History", "История"]),
    ("language", ["Язык: русский", "Language: English"]),
    ("logged_in_as", ["Signed in as", "Вы вошли как"]),
    (
        "signup_title",
        ["Create your account", "Создайте учётную запись"],
    ),
    ("signup_invited", ["invited you to", "приглашает вас в"]),
    ("signup_as", ["as", "как"]),
    ("signup_on", ["on", "в"]),
    ("signup_for", ["for", "для"]),
    ("your_name", ["Your name", "Ваше имя"]),
    ("password", ["Password", "Пароль"]),
    ("sign_up", ["Sign up", "Зарегистрироваться"]),
    (
        "signup_done",
        [
            "You are signed up. Welcome!",
            "Регистрация завершена. Добро пожаловать!",
        ],
    ),
    (
        "signup_failed",
        ["This link cannot be used", "Эту ссылку нельзя использовать"],
    ),
    ("seat_gauge", ["Seat usage", "Использование мест"]),
    ("type_admin_short", ["admin", "админ"]),
    ("type_user_short", ["user", "пользователь"]),
    (
        "status_queued",
        ["Waiting for an invitation", "Ожидает отправки"],
    ),
    ("status_pending", ["Pending", "Ожидает"]),
    ("status_expired", ["Expired", "Истекло"]),
    ("status_failed", ["Failed", "Ошибка"]),
    ("status_never_used", ["Never Used", "Не входил"]),
    ("status_completed", ["Completed", "Завершено"]),
    ("status_cancelled", ["Cancelled", "Отменено"]),
    ("done", ["Done", "Готово"]),
    ("filters", ["Filters", "Фильтры"]),
    ("any", ["any", "любой"]),
    ("sender", ["Sender (user id)", "Отправитель (id)"]),
    ("channel", ["Channel", "Канал"]),
    ("clear_filters", ["Clear filters", "Сбросить фильтры"]),
    (
        "splits",
        [
            "Admins and users, e-mail and SMS",
            "Администраторы и пользователи, e-mail и SMS",
        ],
    ),
    ("split_of", ["Invitations", "Приглашения"]),
    ("split_admins", ["Admins", "Администраторы"]),
    ("split_users", ["General users", "Пользователи"]),
    ("split_email", ["E-mail", "E-mail"]),
    ("split_sms", ["SMS", "SMS"]),
    ("waitlist", ["On the seat waitlist", "В очереди на место"]),
    (
        "dry_messages",
        ["Messages to send", "Будет отправлено сообщений"],
    ),
    ("by_email", ["e-mail", "e-mail"]),
    ("by_sms", ["SMS", "SMS"]),
    ("dry_seats", ["seats needed", "нужно мест"]),
    (
        "member_details",
        ["Member details", "Сведения об участнике"],
    ),
    ("member_state", ["State", "Состояние"]),
    ("member_never_used", ["Never Used", "Не входил"]),
    ("member_completed", ["Completed", "Завершено"]),
    ("member_removed", ["Removed", "Удалён"]),
    ("came_by", ["Invitation", "Приглашение"]),
    (
        "no_invitation",
        ["added without an invitation", "добавлен без приглашения"],
    ),
    (
        "user_id",
        ["Application user id", "Id пользователя в приложении"],
    ),
    (
        "invitation_details",
        ["Invitation details", "Подробнее о приглашении"],
    ),
    ("error", ["Error", "Ошибка"]),
];

const ERRORS: &[(&str, [&str; 2])] = &[
    (
        "already_invited",
        ["already has a live invitation", "уже приглашён"],
    ),
    ("already_member", ["is already a member", "уже участник"]),
    (
        "no_seats_available",
        ["no seats available", "нет свободных мест"],
    ),
    ("invalid_contact", ["invalid address", "неверный адрес"]),
    ("invalid_access", ["invalid access", "неверный доступ"]),
    (
        "channel_not_allowed",
        ["channel not allowed", "канал не разрешён"],
    ),
    (
        "resend_cooldown",
        ["resent too recently", "отправлено слишком недавно"],
    ),
    (
        "follow_up_too_soon",
        [
            "follow-up sent less than a day ago",
            "напоминание уже отправлено сегодня",
        ],
    ),
    (
        "action_not_allowed",
        ["not allowed in this status", "недоступно в этом статусе"],
    ),
    ("forbidden", ["not allowed", "нет прав"]),
    (
        "conflict",
        [
            "changed meanwhile; try again",
            "изменено одновременно; повторите",
        ],
    ),
    (
        "unavailable",
        [
            "service unavailable; try later",
            "сервис недоступен; повторите позже",
        ],
    ),
    ("unknown_link", ["unknown link", "неизвестная ссылка"]),
    (
        "link_cancelled",
        ["this invitation was cancelled", "приглашение отменено"],
    ),
    (
        "link_expired",
        ["this link has expired", "срок действия ссылки истёк"],
    ),
    (
        "link_superseded",
        [
            "a newer link was sent; use that one",
            "отправлена новая ссылка; используйте её",
        ],
    ),
    (
        "link_already_used",
        ["this link was already used", "ссылка уже использована"],
    ),
    (
        "invitation_failed",
        [
            "this invitation failed and must be resent",
            "приглашение не удалось; его нужно отправить снова",
        ],
    ),
    (
        "seats_exhausted",
        ["no seat is free: seats exhausted", "нет свободных мест"],
    ),
    (
        "csrf",
        [
            "the form expired; reload the page",
            "форма устарела; обновите страницу",
        ],
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_every_string_and_keys_are_unique() {
        let keys: std::collections::HashSet<_> = STRINGS.iter().map(|(k, _)| k).collect();
        assert_eq!(keys.len(), STRINGS.len());
        for (key, [en, ru]) in STRINGS.iter().chain(ERRORS) {
            assert!(!en.is_empty() && !ru.is_empty(), "{key}");
        }
        assert_eq!(Lang::Ru.strings().len(), Lang::En.strings().len());
    }

    #[test]
    fn the_language_comes_from_the_query_then_the_cookie_then_the_browser() {
        let mut h = HeaderMap::new();
        assert_eq!(Lang::pick(None, &h), Lang::En);
        h.insert(
            axum::http::header::ACCEPT_LANGUAGE,
            "ru-RU,ru;q=0.9".parse().unwrap(),
        );
        assert_eq!(Lang::pick(None, &h), Lang::Ru);
        h.insert(
            axum::http::header::COOKIE,
            "invite_lang=en".parse().unwrap(),
        );
        assert_eq!(Lang::pick(None, &h), Lang::En);
        assert_eq!(Lang::pick(Some("ru"), &h), Lang::Ru);
    }
}
