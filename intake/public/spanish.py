"""The Spanish words of the public pages: English text (the msgid) -> Spanish.

`scripts/build_translations.py` writes intake/translations/es/LC_MESSAGES/messages.po from this
table and the strings extracted from the templates, and compiles it (`make` runs it). Two kinds
of text are here: what the templates wrap in `_()` (extracted), and words that reach the
templates as values (page titles, labels, options, error messages), which the templates look up
with `_()` too. Validated questionnaire items are not here: clinical-reference.md names no
published Spanish version of any of them yet, so they stay in English and the page says so.
Whitespace inside an English text is compared collapsed (the templates wrap long lines).
"""

SPANISH: dict[str, str] = {
    # Header, footer, crisis help (on every public page)
    "Skip to main content": "Saltar al contenido principal",
    "Need help now?": "¿Necesita ayuda ahora?",
    "Call or text": "Llame o escriba al",
    "Emergency": "Emergencias",
    "Language": "Idioma",
    "In crisis or thinking about suicide?": "¿Está en crisis o pensando en el suicidio?",
    "(Suicide & Crisis Lifeline, 24/7).": (
        "(Línea 988 de Prevención del Suicidio y Crisis, las 24 horas; oprima el 2 para español)."
    ),
    "In an emergency call": "En una emergencia, llame al",
    "or go to the nearest emergency room.": "o vaya a la sala de emergencias más cercana.",
    "More crisis help": "Más ayuda en caso de crisis",
    "Help is available right now": "Hay ayuda disponible ahora mismo",
    "If you are in immediate danger, call": "Si está en peligro inmediato, llame al",
    "(Suicide & Crisis Lifeline), or chat at": (
        "(Línea 988 de Prevención del Suicidio y Crisis; oprima el 2 para español), o chatee en"
    ),
    "Free, confidential, 24/7.": "Gratis, confidencial, las 24 horas, todos los días.",
    "Veterans: dial 988 then press 1, or text": (
        "Veteranos: marque 988 y oprima el 1, o envíe un mensaje de texto al"
    ),
    "Deaf or hard of hearing: use your relay service or dial 711, then 988.": (
        "Personas sordas o con dificultades auditivas: use su servicio de retransmisión o marque "
        "711 y luego 988."
    ),
    "Crisis Text Line: text HOME to": (
        "Crisis Text Line: envíe la palabra HOME por mensaje de texto al"
    ),
    "LGBTQ+ young people: The Trevor Project,": "Jóvenes LGBTQ+: The Trevor Project,",
    "Our team:": "Nuestro equipo:",
    "Monday to Friday, 8 am to 6 pm Eastern": (
        "de lunes a viernes, de 8 a. m. a 6 p. m., hora del este"
    ),
    "This form is not monitored around the clock.": (
        "Nadie revisa este formulario las 24 horas del día."
    ),
    "This could be a medical emergency": "Esto podría ser una emergencia médica",
    "Call": "Llame al",
    "now or go to the nearest emergency room.": (
        "ahora o vaya a la sala de emergencias más cercana."
    ),
    "Fainting, chest pain or vomiting blood need a doctor today.": (
        "Desmayarse, tener dolor en el pecho o vomitar sangre requiere ver a un médico hoy."
    ),
    "You don't have to go through this alone": "No tiene que pasar por esto a solas",
    "Your answers so far are saved, and our team has been told. When you are ready, you can "
    "finish the form.": (
        "Sus respuestas hasta ahora están guardadas y nuestro equipo ya lo sabe. Cuando esté "
        "listo o lista, puede terminar el formulario."
    ),
    "Continue my form": "Continuar mi formulario",
    "Go to the form": "Ir al formulario",
    "Thank you for telling us": "Gracias por contárnoslo",
    "A member of our team will be in touch soon. If you would like to talk to someone now, you "
    "can call or text": (
        "Una persona de nuestro equipo se comunicará con usted pronto. Si quiere hablar con "
        "alguien ahora, puede llamar o enviar un mensaje de texto al"
    ),
    "any time, day or night. If you are in danger, call": (
        "a cualquier hora, de día o de noche. Si está en peligro, llame al"
    ),
    "Thank you for telling us. Your answer is saved and our team has been told. Help is "
    "available right now, below; when you are ready, please finish this page.": (
        "Gracias por contárnoslo. Su respuesta está guardada y nuestro equipo ya lo sabe. Abajo "
        "hay ayuda disponible ahora mismo; cuando esté listo o lista, termine esta página."
    ),
    # The steps
    "(required)": "(obligatoria)",
    "Error:": "Error:",
    "Progress": "Progreso",
    "step %(step)s of %(steps)s": "paso %(step)s de %(steps)s",
    "Step %(step)s of %(steps)s": "Paso %(step)s de %(steps)s",
    "part %(part)s of %(parts)s": "parte %(part)s de %(parts)s",
    "Save and go back to check my answers": "Guardar y volver a revisar mis respuestas",
    "Save and continue": "Guardar y continuar",
    "Back": "Atrás",
    "Save and email me a link to finish later": (
        "Guardar y enviarme un enlace por correo para terminar después"
    ),
    "Your answers are saved each time you continue. You can skip any question not marked "
    "required.": (
        "Sus respuestas se guardan cada vez que continúa. Puede saltarse cualquier pregunta que "
        "no diga obligatoria."
    ),
    "We saved the answers on this page that we could, so our team can reach you; please "
    "correct the rest.": (
        "Guardamos las respuestas de esta página que pudimos, para que nuestro equipo pueda "
        "comunicarse con usted; corrija las demás, por favor."
    ),
    "Nothing on this page was saved yet. Everything else you entered is still here.": (
        "Todavía no se guardó nada de esta página. Todo lo demás que escribió sigue aquí."
    ),
    "About you": "Sobre usted",
    "Safety first": "Primero, su seguridad",
    "What brings you here": "Qué le trae aquí",
    "Questionnaires": "Cuestionarios",
    "Preferences": "Preferencias",
    "Check and send": "Revisar y enviar",
    "How you'd like to meet": "Cómo prefiere reunirse",
    "Questionnaires: mood and worry": "Cuestionarios: estado de ánimo y preocupación",
    "Questionnaires: experiences and habits of mind": (
        "Cuestionarios: experiencias y hábitos de la mente"
    ),
    "Questionnaires: your relationship": "Cuestionarios: su relación de pareja",
    "Questionnaires: alcohol and drugs": "Cuestionarios: alcohol y drogas",
    "Questionnaires: your safety and health right now": (
        "Cuestionarios: su seguridad y su salud ahora"
    ),
    "Some questions we ask everyone": "Algunas preguntas que hacemos a todas las personas",
    "Right now": "Ahora mismo",
    "The questions on this page are from published questionnaires that we do not have in "
    "Spanish yet, so they are shown in English. If you would like help with them, call us: a "
    "member of our team will go through them with you.": (
        "Las preguntas de esta página son de cuestionarios publicados que todavía no tenemos en "
        "español, por eso aparecen en inglés. Si quiere ayuda con ellas, llámenos: una persona "
        "de nuestro equipo las revisará con usted."
    ),
    "Because you answered yes:": "Porque respondió que sí:",
    "One more question, because of an answer above:": (
        "Una pregunta más, por una respuesta anterior:"
    ),
    # Step 1
    "Tell us how to reach you. It takes about 10 to 15 minutes to finish the whole form, and "
    "your answers are saved as you go. A member of our team reads every request.": (
        "Díganos cómo comunicarnos con usted. Terminar todo el formulario toma de 10 a 15 "
        "minutos, y sus respuestas se guardan a medida que avanza. Una persona de nuestro equipo "
        "lee cada solicitud."
    ),
    "Questions marked %(required)s need an answer.": (
        "Las preguntas marcadas %(required)s necesitan una respuesta."
    ),
    "Your details": "Sus datos",
    "First name": "Nombre",
    "Last name": "Apellido",
    "Date of birth": "Fecha de nacimiento",
    "Year-month-day, for example 1990-04-02.": "Año-mes-día, por ejemplo 1990-04-02.",
    "Phone": "Teléfono",
    "Email (optional)": "Correo electrónico (opcional)",
    "Email": "Correo electrónico",
    "We only ever email a reference number or a link, never your answers.": (
        "Por correo solo enviamos un número de referencia o un enlace, nunca sus respuestas."
    ),
    "How should we contact you?": "¿Cómo prefiere que nos comuniquemos con usted?",
    "Phone call": "Llamada telefónica",
    "Text message": "Mensaje de texto",
    "The state you will be in during visits": "El estado donde estará durante las visitas",
    "Where you will physically be, even for video visits. This decides which clinicians can see "
    "you.": (
        "Dónde estará físicamente, incluso en las visitas por video. Esto decide qué "
        "profesionales pueden atenderle."
    ),
    "Choose a state": "Elija un estado",
    "Sex (optional)": "Sexo (opcional)",
    "Sex": "Sexo",
    "We use this for one question about alcohol only.": (
        "Solo lo usamos para una pregunta sobre el alcohol."
    ),
    "Female": "Femenino",
    "Male": "Masculino",
    "Another sex or gender": "Otro sexo o género",
    "Prefer not to say": "Prefiero no decirlo",
    "Emergency contact (optional)": "Contacto de emergencia (opcional)",
    "Emergency contact": "Contacto de emergencia",
    "Someone we may call only if we are worried about your safety and can't reach you.": (
        "Alguien a quien podríamos llamar solo si nos preocupa su seguridad y no logramos "
        "comunicarnos con usted."
    ),
    "Their name": "Su nombre",
    "Their phone": "Su teléfono",
    "Emergency contact's name": "Nombre del contacto de emergencia",
    "Emergency contact's phone": "Teléfono del contacto de emergencia",
    "Because you are under 18, a member of our intake team will contact a parent or guardian "
    "before any appointment is made. You can still finish this form, and crisis help is always "
    "at the top of the page.": (
        "Como usted tiene menos de 18 años, una persona de nuestro equipo se comunicará con su "
        "madre, padre o tutor antes de dar cualquier cita. Puede terminar este formulario, y la "
        "ayuda en caso de crisis siempre está arriba en la página."
    ),
    # Step 3
    "What would you like help with?": "¿Con qué le gustaría recibir ayuda?",
    "Choose any that fit": "Elija todas las que correspondan",
    "In your own words (optional)": "En sus propias palabras (opcional)",
    "In your own words": "En sus propias palabras",
    "Anything you would like us to know. Up to 4,000 characters.": (
        "Cualquier cosa que quiera que sepamos. Hasta 4,000 caracteres."
    ),
    "Worry, nerves, panic or fear that gets in the way": (
        "Preocupación, nervios, pánico o miedo que me impiden hacer mis cosas"
    ),
    "Feeling low, down, hopeless or empty": "Sentirme triste, decaído, sin esperanza o vacío",
    "Something frightening or painful that still affects me": (
        "Algo aterrador o doloroso que todavía me afecta"
    ),
    "I pull away when people get close, or fear intimacy": (
        "Me alejo cuando las personas se acercan, o temo a la intimidad"
    ),
    "Problems with my partner; we'd like help together": (
        "Problemas con mi pareja; queremos ayuda juntos"
    ),
    "Trouble focusing, staying organised or sitting still": (
        "Dificultad para concentrarme, organizarme o quedarme quieto"
    ),
    "Unwanted thoughts, or checking or cleaning I can't stop": (
        "Pensamientos no deseados, o revisar o limpiar sin poder parar"
    ),
    "Big swings in mood or energy": "Cambios grandes de ánimo o de energía",
    "Worries about eating, food or my body": "Preocupaciones por la comida, el comer o mi cuerpo",
    "Alcohol or drug use": "Consumo de alcohol o drogas",
    "Something else": "Otra cosa",
    "I'm not sure": "No estoy seguro o segura",
    "Your height (optional)": "Su estatura (opcional)",
    "Your height": "Su estatura",
    "Feet": "Pies",
    "Inches": "Pulgadas",
    "Your weight in pounds (optional)": "Su peso en libras (opcional)",
    "Your weight": "Su peso",
    "Enter 0 if none.": "Escriba 0 si ninguna.",
    # Step 5
    "Visits": "Visitas",
    "How would you like to meet?": "¿Cómo le gustaría reunirse?",
    "In person, at a clinic": "En persona, en una clínica",
    "By video": "Por video",
    "Either is fine": "Cualquiera de las dos",
    "Which clinic, for in-person visits (optional)": (
        "Qué clínica, para visitas en persona (opcional)"
    ),
    "Which clinic": "Qué clínica",
    "No preference": "Sin preferencia",
    "When are you usually free? (optional)": "¿Cuándo suele tener tiempo libre? (opcional)",
    "When are you usually free?": "¿Cuándo suele tener tiempo libre?",
    "Weekday mornings": "Entre semana, por la mañana",
    "Weekday afternoons": "Entre semana, por la tarde",
    "Weekday evenings": "Entre semana, por la noche",
    "Weekends": "Fines de semana",
    "Insurance (optional)": "Seguro médico (opcional)",
    "You can leave this empty; we can talk about payment when we call.": (
        "Puede dejarlo en blanco; podemos hablar del pago cuando le llamemos."
    ),
    "Insurance company": "Compañía de seguro",
    "Member ID": "Número de afiliado",
    # Step 6 and after
    "Please check your answers. You can change any of them before you send the form.": (
        "Revise sus respuestas, por favor. Puede cambiar cualquiera antes de enviar el formulario."
    ),
    "Change": "Cambiar",
    "To fix:": "Para corregir:",
    "Before you send": "Antes de enviar",
    "I agree that the practice may contact me by phone, text or email about this request.": (
        "Acepto que la clínica se comunique conmigo por teléfono, mensaje de texto o correo "
        "electrónico sobre esta solicitud."
    ),
    "I have read the privacy notice: my answers are kept private, read only by the practice's "
    "team, and never sent by email.": (
        "He leído el aviso de privacidad: mis respuestas se mantienen privadas, solo las lee el "
        "equipo de la clínica y nunca se envían por correo electrónico."
    ),
    "Send my request": "Enviar mi solicitud",
    "Thank you. We have your request.": "Gracias. Recibimos su solicitud.",
    "Your reference number is": "Su número de referencia es",
    "Please keep it.": "Guárdelo, por favor.",
    "What happens next": "Qué pasa ahora",
    "A member of our intake team, or the clinician who will see you, will reach you %(how)s.": (
        "Una persona de nuestro equipo de admisión, o el profesional que le atenderá, se "
        "comunicará con usted %(how)s."
    ),
    "by phone": "por teléfono",
    "by text message": "por mensaje de texto",
    "by email": "por correo electrónico",
    "We have also emailed you your reference number (the email holds nothing else).": (
        "También le enviamos su número de referencia por correo electrónico (el correo no "
        "contiene nada más)."
    ),
    "If things get worse": "Si las cosas empeoran",
    "Don't wait for us. Call or text": ("No nos espere. Llame o envíe un mensaje de texto al"),
    "any time, or call": "a cualquier hora, o llame al",
    "or go to the nearest emergency room if you are in danger. You can also call us at": (
        "o vaya a la sala de emergencias más cercana si está en peligro. También puede llamarnos al"
    ),
    "and quote your reference number.": "y dar su número de referencia.",
    "Start a new request for someone else": "Empezar una nueva solicitud para otra persona",
    "If you are in danger now, call 911 or go to the nearest emergency room. You can call or "
    "text 988 any time, day or night. Our team has been alerted and will try to call you "
    "within 30 minutes during our staffed hours. This form is not monitored around the "
    "clock.": (
        "Si está en peligro ahora, llame al 911 o vaya a la sala de emergencias más cercana. "
        "Puede llamar o enviar un mensaje de texto al 988 a cualquier hora, de día o de noche. "
        "Nuestro equipo ya recibió un aviso e intentará llamarle en un plazo de 30 minutos "
        "durante nuestro horario de atención. Nadie revisa este formulario las 24 horas del día."
    ),
    "A clinician will call you within 1 business day, and we will offer you an appointment "
    "within 72 hours. If things get worse before then, call or text 988, or call 911.": (
        "Un profesional le llamará en un plazo de 1 día hábil, y le ofreceremos una cita en un "
        "plazo de 72 horas. Si las cosas empeoran antes, llame o envíe un mensaje de texto al "
        "988, o llame al 911."
    ),
    "Our team will contact you within 2 business days, and we will offer you an appointment "
    "within 14 days.": (
        "Nuestro equipo se comunicará con usted en un plazo de 2 días hábiles, y le ofreceremos "
        "una cita en un plazo de 14 días."
    ),
    "Our team will contact you within 3 business days, and we will offer you an appointment "
    "within 30 days.": (
        "Nuestro equipo se comunicará con usted en un plazo de 3 días hábiles, y le ofreceremos "
        "una cita en un plazo de 30 días."
    ),
    # Page titles
    "Help is available now": "Hay ayuda disponible ahora",
    "Request received": "Solicitud recibida",
    "Finish later": "Terminar más tarde",
    # Save for later, resume
    "Your answers are saved": "Sus respuestas están guardadas",
    "We've emailed you a link to finish your form. It works once, for 7 days, and only the "
    "newest link works. The email has no answers in it.": (
        "Le enviamos por correo un enlace para terminar su formulario. Funciona una sola vez, "
        "durante 7 días, y solo funciona el enlace más reciente. El correo no contiene ninguna "
        "respuesta."
    ),
    "We've already emailed you several links in the last hour, so we haven't sent another one "
    "just now. The link in the newest of those emails still works. If you need a new one, you "
    "can ask again later.": (
        "Ya le enviamos varios enlaces en la última hora, así que no enviamos otro por ahora. El "
        "enlace del correo más reciente sigue funcionando. Si necesita uno nuevo, puede pedirlo "
        "más tarde."
    ),
    "We don't have an email address for you, so we can't send a link.": (
        "No tenemos su correo electrónico, así que no podemos enviarle un enlace."
    ),
    "Add an email address on step 1": "Agregue un correo electrónico en el paso 1",
    ", then ask again.": " y vuelva a pedirlo.",
    "If you close this page now, your answers stay saved for 30 days but you will need this "
    "same browser to come back.": (
        "Si cierra esta página ahora, sus respuestas quedan guardadas durante 30 días, pero "
        "necesitará este mismo navegador para volver."
    ),
    "Continue now": "Continuar ahora",
    "Welcome back. Your saved answers are here.": (
        "Bienvenido o bienvenida de nuevo. Aquí están sus respuestas guardadas."
    ),
    "This link no longer works": "Este enlace ya no funciona",
    "Links to finish a form work for 7 days, only the newest one works, and none works after "
    "the form has been sent.": (
        "Los enlaces para terminar un formulario funcionan durante 7 días, solo funciona el más "
        "reciente, y ninguno funciona después de enviar el formulario."
    ),
    "You can": "Puede",
    "start the form again": "empezar el formulario de nuevo",
    ", or call us at": " o llamarnos al",
    # Errors
    "This question needs an answer ('prefer not to answer' is fine where offered).": (
        "Esta pregunta necesita una respuesta (puede elegir 'prefiero no responder' donde "
        "aparezca)."
    ),
    "Please choose the state you will be in during visits.": (
        "Elija el estado donde estará durante las visitas, por favor."
    ),
    "Please choose a state from the list.": "Elija un estado de la lista, por favor.",
    "Please choose one of the answers shown.": "Elija una de las respuestas que se muestran.",
    "Please choose from the list shown.": "Elija de la lista que se muestra, por favor.",
    "Please choose a clinic from the list.": "Elija una clínica de la lista, por favor.",
    "Please choose times from the list.": "Elija horarios de la lista, por favor.",
    "Please enter your first name.": "Escriba su nombre, por favor.",
    "Please enter your last name.": "Escriba su apellido, por favor.",
    "Please enter your date of birth.": "Escriba su fecha de nacimiento, por favor.",
    "Please enter your phone number.": "Escriba su número de teléfono, por favor.",
    "Please enter a phone number with digits.": "Escriba un número de teléfono con dígitos.",
    "Please enter your date of birth as YYYY-MM-DD.": (
        "Escriba su fecha de nacimiento como AAAA-MM-DD (año-mes-día), por favor."
    ),
    "Please check the year of your date of birth.": (
        "Revise el año de su fecha de nacimiento, por favor."
    ),
    "Please enter an email address like name@example.org.": (
        "Escriba un correo electrónico como nombre@example.org, por favor."
    ),
    "Please enter a phone number with digits, like 212 555 0100.": (
        "Escriba un número de teléfono con dígitos, como 212 555 0100, por favor."
    ),
    "Please enter an email address, or choose another way to reach you.": (
        "Escriba un correo electrónico, o elija otra manera de comunicarnos con usted."
    ),
    "Please tick both boxes to agree, so we can contact you.": (
        "Marque las dos casillas para aceptar, así podremos comunicarnos con usted."
    ),
    "Before you send, please check": "Antes de enviar, revise",
    "That clinic is in another state. Please choose a clinic in the state you will be in during "
    "visits, or no preference.": (
        "Esa clínica está en otro estado. Elija una clínica del estado donde estará durante las "
        "visitas, o ninguna preferencia."
    ),
    "That date of birth doesn't match the one on the form. Please check it.": (
        "Esa fecha de nacimiento no coincide con la del formulario. Revísela, por favor."
    ),
    # The clinic question (only the clinics in the person's state)
    "Clinics in %(state)s, the state you will be in during visits. Video visits need no clinic.": (
        "Clínicas en %(state)s, el estado donde estará durante las visitas. Las visitas por video "
        "no necesitan clínica."
    ),
    "Which clinic, for in-person visits": "Qué clínica, para visitas en persona",
    "We have no clinic in %(state)s yet, so visits there are by video.": (
        "Todavía no tenemos clínica en %(state)s, así que allí las visitas son por video."
    ),
    "We don't know yet which state you will be in during visits, so we can't list clinics.": (
        "Todavía no sabemos en qué estado estará durante las visitas, así que no podemos "
        "mostrarle las clínicas."
    ),
    "Choose your state on step 1": "Elija su estado en el paso 1",
    # The review page
    "Not answered": "Sin responder",
    "Show answers: %(answered)d of %(total)d answered": (
        "Mostrar respuestas: %(answered)d de %(total)d respondidas"
    ),
    # Opening a resume link: the date of birth first
    "Check it's you": "Confirme que es usted",
    "To keep your answers private, please enter your date of birth as you gave it on the form. "
    "Then we will show your saved answers.": (
        "Para proteger la privacidad de sus respuestas, escriba su fecha de nacimiento tal como "
        "la dio en el formulario. Después le mostraremos sus respuestas guardadas."
    ),
    "Show my answers": "Mostrar mis respuestas",
    "Can't remember it? Call us at": "¿No la recuerda? Llámenos al",
    "For your privacy, each link opens your form only once, and only for 7 days. Your answers "
    "are still saved.": (
        "Para proteger su privacidad, cada enlace abre su formulario una sola vez y solo durante "
        "7 días. Sus respuestas siguen guardadas."
    ),
    "Email me a new link": "Enviarme un enlace nuevo",
    "We send it to the email address on your form. The email has no answers in it.": (
        "Lo enviamos al correo electrónico de su formulario. El correo no contiene ninguna "
        "respuesta."
    ),
    "We closed this link": "Cerramos este enlace",
    "The date of birth did not match several times, so for your privacy this link no longer "
    "opens the form. Your answers are still saved.": (
        "La fecha de nacimiento no coincidió varias veces, así que, para proteger su privacidad, "
        "este enlace ya no abre el formulario. Sus respuestas siguen guardadas."
    ),
    "Or call us at": "O llámenos al",
    "Check your email": "Revise su correo electrónico",
    "We've emailed a new link to the address on your form. It works once, for 7 days. The email "
    "has no answers in it.": (
        "Le enviamos un enlace nuevo al correo electrónico de su formulario. Funciona una sola "
        "vez, durante 7 días. El correo no contiene ninguna respuesta."
    ),
    "We've already emailed several links in the last hour, so we haven't sent another one just "
    "now. Please try again later, or call us.": (
        "Ya enviamos varios enlaces en la última hora, así que no enviamos otro por ahora. "
        "Inténtelo más tarde o llámenos."
    ),
    "Questions? Call us at": "¿Preguntas? Llámenos al",
    # Emails to the patient (templates/email/patient_* and resume_link*), subjects included
    "We received your request": "Recibimos su solicitud",
    "Your link to continue your Wayfinder form": (
        "Su enlace para continuar su formulario de Wayfinder"
    ),
    "Thank you. We received your request for care.": (
        "Gracias. Recibimos su solicitud de atención."
    ),
    "Your reference number is %(reference)s. Please keep it; quote it if you call us at "
    "%(phone)s.": (
        "Su número de referencia es %(reference)s. Guárdelo, por favor; menciónelo si nos llama al "
        "%(phone)s."
    ),
    "If you are in crisis, call or text 988 (Suicide & Crisis Lifeline). In an emergency, call "
    "911.": (
        "Si está en crisis, llame o envíe un mensaje de texto al 988 (Línea 988 de Prevención del "
        "Suicidio y Crisis; oprima el 2 para español). En una emergencia, llame al 911."
    ),
    "Here is your link to continue your Wayfinder form. It works once, for 7 days:": (
        "Este es su enlace para continuar su formulario de Wayfinder. Funciona una sola vez, "
        "durante 7 días:"
    ),
    "When you open it, we will ask for your date of birth before showing your answers.": (
        "Al abrirlo, le pediremos su fecha de nacimiento antes de mostrarle sus respuestas."
    ),
    "If you did not ask for this, you can ignore this message.": (
        "Si usted no lo pidió, puede ignorar este mensaje."
    ),
    "If you are in crisis, call or text 988. In an emergency, call 911.": (
        "Si está en crisis, llame o envíe un mensaje de texto al 988 (oprima el 2 para español). "
        "En una emergencia, llame al 911."
    ),
    "Continue your Wayfinder form": "Continuar su formulario de Wayfinder",
    "The link works once, for 7 days.": "El enlace funciona una sola vez, durante 7 días.",
}

# ngettext: English singular -> Spanish (one, many, other), CLDR's three plural forms.
SPANISH_PLURALS: dict[str, tuple[str, str, str]] = {
    "Please check %(num)d answer": (
        "Revise %(num)d respuesta",
        "Revise %(num)d respuestas",
        "Revise %(num)d respuestas",
    ),
    "Show %(num)d answer": (
        "Mostrar %(num)d respuesta",
        "Mostrar %(num)d respuestas",
        "Mostrar %(num)d respuestas",
    ),
    "You can try %(num)d more time.": (
        "Puede intentarlo %(num)d vez más.",
        "Puede intentarlo %(num)d veces más.",
        "Puede intentarlo %(num)d veces más.",
    ),
}
