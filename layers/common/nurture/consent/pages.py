"""The consent pages: small server-rendered HTML in en, es and it (no JavaScript needed).

Rendered by the sandboxed, autoescaping Jinja2 environment of `nurture.messaging.rendering` from
``nurture/templates/pages/``; every text a page shows comes from `TEXTS` (one entry per language).
"""

from __future__ import annotations

from typing import Any, Final

from nurture.consent.forms import DEFAULT_LANGUAGE
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
        "sms": "Text messages (coming soon)",
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
        "invalid_message": "The link is incomplete or was altered. Please use the link from your latest email.",
        "expired_title": "This link has expired",
        "expired_message": "The link is too old. Please use the link from a more recent email.",
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
        "sms": "Mensajes de texto (próximamente)",
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
        "invalid_message": "El enlace está incompleto o ha sido modificado. Usa el enlace de tu último correo.",
        "expired_title": "Este enlace ha caducado",
        "expired_message": "El enlace es demasiado antiguo. Usa el enlace de un correo más reciente.",
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
        "sms": "Messaggi SMS (in arrivo)",
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
        "invalid_message": "Il link è incompleto o è stato modificato. Usa il link della tua email più recente.",
        "expired_title": "Questo link è scaduto",
        "expired_message": "Il link è troppo vecchio. Usa il link di un'email più recente.",
    },
}


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


def preferences_page(lang: str, *, action: str, token: str) -> str:
    t = texts(lang)
    topics = [{"id": topic, "label": t[f"topic_{topic}"]} for topic in TOPICS]
    context = {
        "lang": lang,
        "title": t["preferences_title"],
        "message": t["preferences_message"],
        "action": action,
        "token": token,
        "topics": topics,
        "t": t,
    }
    return render_template("pages/preferences.html", context)
