"""The consent pages: small server-rendered HTML in en, es and it (no JavaScript needed).

Rendered by the sandboxed, autoescaping Jinja2 environment of `nurture.messaging.rendering` from
``nurture/templates/pages/``; every text a page shows comes from `TEXTS` (one entry per language).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Final

from nurture.consent.forms import DEFAULT_LANGUAGE
from nurture.consent.preferences import CurrentPreferences
from nurture.delivery.zones import recipient_zone
from nurture.events import TOPICS
from nurture.messaging.rendering import render_template

TEXTS: Final[dict[str, dict[str, str]]] = {
    "en": {
        "unsubscribe_title": "Unsubscribe",
        "unsubscribe_message": "Press the button to stop receiving marketing emails from us.",
        "unsubscribe_button": "Unsubscribe",
        "unsubscribed_title": "You are unsubscribed",
        "unsubscribed_message": "You will not receive marketing emails from us any more.",
        "preferences_title": "Email preferences",
        "preferences_message": "Choose what you would like to hear about.",
        "topics": "Topics",
        "topic_newsletter": "Newsletter",
        "topic_offers": "Offers and discounts",
        "topic_product_news": "Product news",
        "pause": "Pause all marketing emails for 30 days",
        "sms": "Text messages",
        "sms_on": "On. Untick to stop them, or reply STOP to any of our text messages.",
        "sms_off": "Off: we do not send you text messages. Tick to receive them.",
        "paused_until": "Marketing emails are paused until {date}.",
        "email_unsubscribed": "You are unsubscribed from all our marketing emails: the topics below apply only if you"
        " subscribe again.",
        "save": "Save my preferences",
        "saved_title": "Preferences saved",
        "saved_message": "Thank you: your preferences are saved.",
        "confirm_title": "Confirm your subscription",
        "confirm_message": "Press the button to confirm that you want to receive our emails.",
        "confirm_button": "Confirm my subscription",
        "confirmed_title": "Subscription confirmed",
        "confirmed_message": "Thank you: you are subscribed.",
        "signup_title": "Check your inbox",
        "signup_message": "We sent you an email: open it and confirm your subscription.",
        "invalid_title": "This link does not work",
        "invalid_message": "The link is incomplete or was altered (its token is missing or not valid). Please use"
        " the link from your latest email.",
        "expired_title": "This link has expired",
        "expired_message": "The link is too old (its token has expired). Please use the link from a more recent email.",
    },
    "es": {
        "unsubscribe_title": "Darse de baja",
        "unsubscribe_message": "Pulsa el botón para dejar de recibir nuestros correos de marketing.",
        "unsubscribe_button": "Darme de baja",
        "unsubscribed_title": "Te has dado de baja",
        "unsubscribed_message": "Ya no recibirás nuestros correos de marketing.",
        "preferences_title": "Preferencias de correo",
        "preferences_message": "Elige sobre qué quieres recibir noticias.",
        "topics": "Temas",
        "topic_newsletter": "Boletín",
        "topic_offers": "Ofertas y descuentos",
        "topic_product_news": "Novedades de productos",
        "pause": "Pausar todos los correos de marketing durante 30 días",
        "sms": "Mensajes de texto",
        "sms_on": (
            "Activados. Desmarca la casilla para dejar de recibirlos, "
            "o responde STOP a cualquiera de nuestros mensajes."
        ),
        "sms_off": "Desactivados: no te enviamos mensajes de texto. Marca la casilla para recibirlos.",
        "paused_until": "Los correos de marketing están en pausa hasta el {date}.",
        "email_unsubscribed": "Te has dado de baja de todos nuestros correos de marketing: los temas de abajo solo"
        " cuentan si vuelves a suscribirte.",
        "save": "Guardar mis preferencias",
        "saved_title": "Preferencias guardadas",
        "saved_message": "Gracias: tus preferencias se han guardado.",
        "confirm_title": "Confirma tu suscripción",
        "confirm_message": "Pulsa el botón para confirmar que quieres recibir nuestros correos.",
        "confirm_button": "Confirmar mi suscripción",
        "confirmed_title": "Suscripción confirmada",
        "confirmed_message": "Gracias: ya estás suscrito.",
        "signup_title": "Revisa tu bandeja de entrada",
        "signup_message": "Te hemos enviado un correo: ábrelo y confirma tu suscripción.",
        "invalid_title": "Este enlace no funciona",
        "invalid_message": "El enlace está incompleto o ha sido modificado (su token falta o no es válido). Usa el"
        " enlace de tu último correo.",
        "expired_title": "Este enlace ha caducado",
        "expired_message": "El enlace es demasiado antiguo (su token ha caducado). Usa el enlace de un correo más"
        " reciente.",
    },
    "it": {
        "unsubscribe_title": "Annulla l'iscrizione",
        "unsubscribe_message": "Premi il pulsante per non ricevere più le nostre email di marketing.",
        "unsubscribe_button": "Annulla l'iscrizione",
        "unsubscribed_title": "Iscrizione annullata",
        "unsubscribed_message": "Non riceverai più le nostre email di marketing.",
        "preferences_title": "Preferenze email",
        "preferences_message": "Scegli di cosa vuoi ricevere notizie.",
        "topics": "Argomenti",
        "topic_newsletter": "Newsletter",
        "topic_offers": "Offerte e sconti",
        "topic_product_news": "Novità sui prodotti",
        "pause": "Sospendi tutte le email di marketing per 30 giorni",
        "sms": "Messaggi SMS",
        "sms_on": "Attivi. Togli la spunta per non riceverli più, oppure rispondi STOP a uno qualsiasi dei nostri SMS.",
        "sms_off": "Disattivi: non ti inviamo SMS. Metti la spunta per riceverli.",
        "paused_until": "Le email di marketing sono sospese fino a {date}.",
        "email_unsubscribed": "Hai annullato l'iscrizione a tutte le nostre email di marketing: gli argomenti qui sotto"
        " valgono solo se ti iscrivi di nuovo.",
        "save": "Salva le mie preferenze",
        "saved_title": "Preferenze salvate",
        "saved_message": "Grazie: le tue preferenze sono state salvate.",
        "confirm_title": "Conferma la tua iscrizione",
        "confirm_message": "Premi il pulsante per confermare che vuoi ricevere le nostre email.",
        "confirm_button": "Conferma la mia iscrizione",
        "confirmed_title": "Iscrizione confermata",
        "confirmed_message": "Grazie: sei iscritto.",
        "signup_title": "Controlla la tua casella di posta",
        "signup_message": "Ti abbiamo inviato un'email: aprila e conferma la tua iscrizione.",
        "invalid_title": "Questo link non funziona",
        "invalid_message": "Il link è incompleto o è stato modificato (il suo token manca o non è valido). Usa il"
        " link della tua email più recente.",
        "expired_title": "Questo link è scaduto",
        "expired_message": "Il link è troppo vecchio (il suo token è scaduto). Usa il link di un'email più recente.",
    },
}


# A day as each language writes it in a sentence ("until Friday 8 May 2026"): with the weekday, so
# that Italian needs no article ("fino a venerdì 8 maggio", never "al"/"all'").
WEEKDAYS: Final = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "es": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
    "it": ("lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica"),
}
MONTHS: Final = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
           "noviembre", "diciembre"),
    "it": ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre",
           "novembre", "dicembre"),
}  # fmt: skip
DAY_FORMATS: Final = {"en": "{weekday} {day} {month} {year}", "es": "{weekday} {day} de {month} de {year}"}


def day_text(lang: str, day: date) -> str:
    lang = lang if lang in MONTHS else DEFAULT_LANGUAGE
    return DAY_FORMATS.get(lang, "{weekday} {day} {month} {year}").format(
        weekday=WEEKDAYS[lang][day.weekday()], day=day.day, month=MONTHS[lang][day.month - 1], year=day.year
    )


def texts(lang: str) -> dict[str, str]:
    return TEXTS.get(lang, TEXTS[DEFAULT_LANGUAGE])


def message_page(lang: str, page: str, *, action: str | None = None, button: str | None = None) -> str:
    """A page of a title and a message (``<page>_title``, ``<page>_message``), with a one-button form
    POSTing to ``action`` when ``button`` (a text key) is given."""
    t = texts(lang)
    context: dict[str, Any] = {
        "lang": lang,
        "title": t[f"{page}_title"],
        "message": t[f"{page}_message"],
        "action": action or "",
        "button": t[button] if button else None,
    }
    return render_template("pages/message.html", context)


def preferences_page(lang: str, *, action: str, token: str, current: CurrentPreferences, now: datetime) -> str:
    """The form, filled in with the contact's current choices: the topics not opted out of ticked,
    a pause that has not ended said with its last day (the contact's zone), SMS on or off only for
    a contact with a phone number."""
    t = texts(lang)
    topics = [
        {"id": topic, "label": t[f"topic_{topic}"], "checked": topic not in current.unsubscribed_topics}
        for topic in TOPICS
    ]
    paused = None
    if current.paused_until is not None and current.paused_until > now:
        zone = recipient_zone(current.time_zone, current.country_code)
        paused = t["paused_until"].format(date=day_text(lang, current.paused_until.astimezone(zone).date()))
    sms = None
    if current.has_phone:
        sms = {"on": current.sms_subscribed, "state": t["sms_on" if current.sms_subscribed else "sms_off"]}
    context = {
        "lang": lang,
        "title": t["preferences_title"],
        "message": t["preferences_message"],
        "action": action,
        "token": token,
        "topics": topics,
        "email_unsubscribed": t["email_unsubscribed"] if current.email_unsubscribed else None,
        "paused": paused,
        "sms": sms,
        "t": t,
    }
    return render_template("pages/preferences.html", context)
