"""More of the labelled evaluation set (bench/knowledge_eval_data.py has the format): the
office's machines and accounts — e-mail, printers, passwords, VPN, licences, warehouse scanners.
Topics of one product are one another's hard negatives (a scanner that does not charge and one
that does not read barcodes; an expired password and a locked one)."""

from __future__ import annotations

TOPICS = [
    (
        "mailbox-full",
        [
            (
                "ro",
                "Căsuța de e-mail este plină",
                "Nu mai primesc mesaje, Outlook spune că am depășit cota.",
                "Am mărit cota la 10 GB și am arhivat mesajele mai vechi de doi ani.",
            ),
            (
                "cs",
                "Plná poštovní schránka",
                "Nechodí mi e-maily, schránka hlásí překročenou kvótu.",
                "Kvótu jsme zvýšili na 10 GB a starou poštu archivovali.",
            ),
        ],
        (
            "en",
            "When the mailbox is full",
            "Archive old mail or ask us to raise the quota; mail sent to a full mailbox bounces.",
        ),
        [
            ("ro", "casuta de mail plina nu mai primesc mesaje"),
            ("ro", "am depășit cota de e-mail"),
            ("cs", "schranka je plna nechodi posta"),
            ("cs", "překročená kvóta poštovní schránky"),
            ("en", "mailbox quota exceeded"),
            ("en", "outlook says my mailbox is full"),
        ],
    ),
    (
        "mail-spam",
        [
            (
                "en",
                "Our mails land in customers' spam",
                "Customers find our offers in their junk folder.",
                "Added the SPF and DKIM records for the domain; mail is no longer marked as spam.",
            ),
            (
                "ro",
                "Mesajele noastre ajung în spam",
                "Clienții găsesc ofertele noastre în dosarul spam.",
                "Am adăugat înregistrările SPF și DKIM pentru domeniu.",
            ),
        ],
        None,
        [
            ("en", "our emails go to junk folder"),
            ("ro", "mailurile noastre ajung in spam la clienti"),
            ("ro", "e-mailurile trimise sunt marcate ca spam"),
            ("cs", "naše e-maily končí zákazníkům ve spamu"),
            ("cs", "nase maily padaji do nevyzadane posty"),
            ("en", "spf dkim missing mail marked spam"),
        ],
    ),
    (
        "password-expired",
        [
            (
                "cs",
                "Vypršelo heslo",
                "Při přihlášení program hlásí, že platnost hesla vypršela, a nové nepřijme.",
                "Nové heslo musí mít 12 znaků a nesmí být mezi posledními pěti; pak projde.",
            ),
            (
                "en",
                "Password expired and the new one is refused",
                "At sign-in the program says my password expired and refuses every new one.",
                "A new password needs 12 characters and must differ from the last five.",
            ),
        ],
        None,
        [
            ("cs", "vyprselo heslo nove neprijme"),
            ("cs", "platnost hesla vypršela"),
            ("en", "password expired new password rejected"),
            ("ro", "parola a expirat și nu acceptă una nouă"),
            ("ro", "parola expirata parola noua respinsa"),
            ("en", "new password does not meet the rules"),
        ],
    ),
    (
        "vpn-mfa",
        [
            (
                "en",
                "VPN asks for a code I never receive",
                "The VPN wants a one-time code but no SMS comes.",
                "Moved the user from SMS to the authenticator app; codes now work.",
            ),
            (
                "ro",
                "VPN cere un cod care nu vine",
                "La conectarea VPN se cere codul din SMS, dar nu primesc SMS.",
                "Am trecut utilizatorul pe aplicația de autentificare în loc de SMS.",
            ),
        ],
        (
            "en",
            "VPN sign-in codes",
            "Use the authenticator app for the VPN's one-time code; SMS codes are being retired.",
        ),
        [
            ("en", "vpn one time code sms not received"),
            ("ro", "nu primesc codul sms pentru vpn"),
            ("ro", "codul de autentificare VPN nu vine"),
            ("cs", "nechodí mi SMS kód pro VPN"),
            ("cs", "vpn chce kod ktery neprijde"),
            ("en", "authenticator app for vpn"),
        ],
    ),
    (
        "label-printer",
        [
            (
                "cs",
                "Etikety se tisknou posunuté",
                "Tiskárna etiket Zebra tiskne etikety posunuté a přes okraj.",
                "Kalibrovali jsme tiskárnu Zebra a nastavili velikost etikety 100x150 mm.",
            ),
            (
                "ro",
                "Etichetele ies decalate",
                "Imprimanta Zebra tipărește etichetele decalat, peste margine.",
                "Am calibrat imprimanta Zebra și am setat eticheta la 100x150 mm.",
            ),
        ],
        (
            "en",
            "Calibrating the label printer",
            "Calibrate the Zebra printer after a new roll; set the label size to 100x150 mm.",
        ),
        [
            ("cs", "zebra tiskne etikety posunute"),
            ("cs", "štítky přes okraj tiskárna etiket"),
            ("ro", "etichete decalate la imprimanta zebra"),
            ("ro", "imprimanta de etichete tipareste stramb"),
            ("en", "shipping labels print shifted"),
            ("en", "zebra label printer calibration"),
        ],
    ),
    (
        "scanner-battery",
        [
            (
                "ro",
                "Scanerul nu se încarcă",
                "Terminalul de depozit nu se mai încarcă în suport.",
                "Contactele suportului erau murdare; le-am curățat și am schimbat bateria.",
            ),
            (
                "en",
                "Handheld scanner does not charge",
                "The warehouse scanner stays at 0% in the cradle.",
                "Cleaned the cradle contacts and replaced the worn battery.",
            ),
        ],
        None,
        [
            ("ro", "scanerul din depozit nu se incarca"),
            ("ro", "terminalul mobil rămâne la 0% în suport"),
            ("en", "warehouse scanner battery not charging"),
            ("cs", "skener ve skladu se nenabíjí"),
            ("cs", "terminal se v kolebce nenabiji"),
            ("en", "scanner dead in cradle"),
        ],
    ),
    (
        "scanner-barcode",
        [
            (
                "cs",
                "Skener nečte čárové kódy",
                "Ruční skener ve skladu nepřečte čárové kódy EAN na paletách.",
                "Symbologie EAN-13 byla vypnutá; zapnuli jsme ji v profilu skeneru.",
            ),
            (
                "en",
                "Scanner does not read barcodes",
                "The handheld beeps but does not read EAN barcodes.",
                "EAN-13 was disabled in the scanner profile; enabled it.",
            ),
        ],
        None,
        [
            ("cs", "skener necte carove kody"),
            ("cs", "čtečka nepřečte EAN na paletě"),
            ("en", "handheld will not read ean barcode"),
            ("ro", "scanerul nu citește codurile de bare"),
            ("ro", "cititorul nu citeste ean"),
            ("en", "barcode not scanned in warehouse"),
        ],
    ),
    (
        "scanner-wifi",
        [
            (
                "en",
                "Scanners drop the Wi-Fi in the warehouse",
                "The terminals lose the connection in the back aisles.",
                "Added an access point in the back aisles and enabled roaming on the terminals.",
            ),
            (
                "ro",
                "Terminalele pierd Wi-Fi în depozit",
                "Scanerele pierd conexiunea la rețea în spatele depozitului.",
                "Am adăugat un punct de acces și am activat roaming pe terminale.",
            ),
        ],
        None,
        [
            ("en", "warehouse terminals lose wifi"),
            ("ro", "scanerele pierd conexiunea wifi in depozit"),
            ("ro", "terminalul se deconectează de la rețea"),
            ("cs", "terminály ve skladu ztrácí wifi"),
            ("cs", "skenery padaji z wifi vzadu ve skladu"),
        ],
    ),
    (
        "license-seats",
        [
            (
                "ro",
                "Nu se pot conecta toți utilizatorii",
                "Al șaselea utilizator primește mesajul: numărul de licențe depășit.",
                "Licența avea 5 posturi; am adăugat două și am închis sesiunile rămase deschise.",
            ),
            (
                "cs",
                "Překročen počet licencí",
                "Šestý uživatel dostane hlášku: překročen počet licencí.",
                "Licence měla 5 míst; přidali jsme dvě a uvolnili visící relace.",
            ),
        ],
        (
            "en",
            "Licence seats",
            "Each signed-in user takes a seat; close sessions you do not use or buy more seats.",
        ),
        [
            ("ro", "numarul de licente depasit"),
            ("ro", "al șaselea utilizator nu se poate conecta"),
            ("cs", "prekrocen pocet licenci"),
            ("cs", "další uživatel se nepřihlásí kvůli licenci"),
            ("en", "too many users licence seats exceeded"),
            ("en", "need more user licenses"),
        ],
    ),
    (
        "shared-mailbox",
        [
            (
                "en",
                "Cannot see the shared mailbox",
                "The office@ shared mailbox is gone from my Outlook.",
                "Granted full access to the shared mailbox again and restarted Outlook.",
            ),
            (
                "cs",
                "Nevidím sdílenou schránku",
                "Ze sdílené schránky kancelar@ mi zmizela pošta v Outlooku.",
                "Znovu jsme přidělili plný přístup ke sdílené schránce.",
            ),
        ],
        None,
        [
            ("en", "shared mailbox disappeared from outlook"),
            ("cs", "zmizela sdilena schranka"),
            ("cs", "nemám přístup ke sdílené schránce"),
            ("ro", "nu mai văd căsuța partajată în outlook"),
            ("ro", "cutia postala comuna a disparut"),
        ],
    ),
    (
        "printer-offline",
        [
            (
                "cs",
                "Síťová tiskárna je offline",
                "Tiskárna v kanceláři se ukazuje jako offline, nikdo nemůže tisknout.",
                "Tiskárna dostala novou IP adresu; nastavili jsme pevnou adresu a opravili port.",
            ),
            (
                "ro",
                "Imprimanta de rețea apare offline",
                "Imprimanta din birou apare offline pentru toți colegii.",
                "Imprimanta primise altă adresă IP; am setat o adresă fixă și portul corect.",
            ),
        ],
        None,
        [
            ("cs", "sitova tiskarna je offline"),
            ("cs", "nikdo v kanceláři nemůže tisknout"),
            ("ro", "imprimanta din birou apare offline"),
            ("ro", "nu putem tipări la imprimanta de rețea"),
            ("en", "office network printer shows offline"),
            ("en", "printer changed ip address"),
        ],
    ),
    (
        "onedrive-sync",
        [
            (
                "en",
                "OneDrive does not sync",
                "Files saved on my laptop do not appear online; OneDrive shows a red cross.",
                "A file name had a character OneDrive rejects; renamed it and the sync resumed.",
            ),
            (
                "ro",
                "OneDrive nu sincronizează",
                "Fișierele salvate nu apar pe OneDrive, iconița are un X roșu.",
                "Un fișier avea un caracter nepermis în nume; redenumit, sincronizarea a pornit.",
            ),
        ],
        None,
        [
            ("en", "onedrive red cross not syncing"),
            ("ro", "onedrive nu sincronizeaza fisierele"),
            ("ro", "fișierele nu apar pe OneDrive"),
            ("cs", "OneDrive nesynchronizuje soubory"),
            ("cs", "onedrive cerveny krizek"),
        ],
    ),
]
