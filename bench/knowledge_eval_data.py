"""The labelled evaluation set of the suggestions (docs/knowledge.md): support requests and
articles of an IT and EDI support firm, written for it, and queries in Romanian, Czech and
English (some without diacritics, some in another language than the request), each with the
topic whose requests and article are relevant. Topics of one product that share words (invoices
printed, mailed, uploaded to e-Factura) are one another's hard negatives.

A topic: (key, [requests: (language, summary, details, resolution)], article or None:
(language, title, body), [queries: (language, text)]). The topics of the office's machines and
accounts are in bench/knowledge_eval_data_ops.py, those of the ERP and EDI in
bench/knowledge_eval_data_erp.py, in the same format.
"""

from __future__ import annotations

from bench.knowledge_eval_data_erp import TOPICS as ERP_TOPICS
from bench.knowledge_eval_data_ops import TOPICS as OPS_TOPICS

TOPICS = [
    (
        "invoice-print",
        [
            (
                "cs",
                "Tisk faktur nefunguje",
                "Nemohu vytisknout fakturu, tiskárna nic nedělá.",
                "V menu Faktury > Nastavení tisku vyberte výchozí tiskárnu a uložte.",
            ),
            (
                "ro",
                "Nu se tipăresc facturile",
                "La tipărire factura nu iese la imprimantă.",
                "Din Facturi > Setări tipărire alegeți imprimanta implicită.",
            ),
        ],
        ("en", "Printing invoices", "Choose the default printer in Invoices > Print settings."),
        [
            ("cs", "nejde mi tisknout faktury"),
            ("ro", "nu pot tipari facturile"),
            ("en", "cannot print invoices"),
            ("cs", "tiskarna netiskne fakturu"),
            ("en", "invoice printer does nothing"),
            ("ro", "imprimanta nu tipărește factura"),
        ],
    ),
    (
        "invoice-email",
        [
            (
                "ro",
                "Facturile nu ajung pe e-mail la clienți",
                "Clienții nu primesc factura trimisă din program.",
                "Serverul SMTP avea parola expirată; am actualizat-o în Setări e-mail.",
            ),
            (
                "en",
                "Invoice e-mails are not delivered",
                "Customers say they never get our invoices by mail.",
                "The SMTP password had expired; updated it in Mail settings.",
            ),
        ],
        None,
        [
            ("ro", "clientii nu primesc facturile pe mail"),
            ("en", "invoices not arriving by email"),
            ("cs", "zákazníkům nechodí faktury e-mailem"),
            ("ro", "factura trimisă pe email nu ajunge"),
            ("cs", "faktury emailem nechodi zakaznikum"),
        ],
    ),
    (
        "efactura-upload",
        [
            (
                "ro",
                "Eroare la încărcarea în e-Factura",
                "SPV respinge factura cu eroarea E-0012.",
                "Codul fiscal al cumpărătorului nu avea prefixul RO; corectat, a trecut.",
            ),
            (
                "ro",
                "Factura respinsă de SPV",
                "Mesaj de eroare la trimiterea în e-Factura: CUI invalid.",
                "Am completat CUI-ul corect al clientului în fișa partenerului.",
            ),
        ],
        (
            "ro",
            "Erori la trimiterea în e-Factura",
            "Verificați CUI-ul cumpărătorului și prefixul RO.",
        ),
        [
            ("ro", "spv respinge factura"),
            ("ro", "eroare e-factura cui invalid"),
            ("en", "e-invoice rejected by the tax portal"),
            ("ro", "nu se incarca factura in efactura"),
        ],
    ),
    (
        "password-reset",
        [
            (
                "ro",
                "Parolă blocată",
                "Am parola blocată după trei încercări greșite.",
                "Am deblocat contul; setați o parolă nouă din linkul primit pe e-mail.",
            ),
            (
                "cs",
                "Zablokované heslo",
                "Po třech pokusech mám zablokovaný účet.",
                "Účet odblokován, nové heslo nastavíte odkazem z e-mailu.",
            ),
        ],
        (
            "en",
            "Unlocking your account",
            "After three wrong passwords the account locks; ask support to unlock it.",
        ),
        [
            ("ro", "parola blocata"),
            ("cs", "nemohu se prihlasit, heslo zablokovano"),
            ("en", "account locked after wrong password"),
            ("ro", "nu ma pot loga in cont"),
        ],
    ),
    (
        "vpn",
        [
            (
                "en",
                "VPN does not connect",
                "The VPN client stops at 'authenticating' from home.",
                "The certificate had expired; installed the new one from the portal's downloads.",
            ),
            (
                "cs",
                "VPN se nepřipojí",
                "Z domova se VPN nepřipojí, visí na ověřování.",
                "Vypršel certifikát; nainstalujte nový ze stažení na portálu.",
            ),
        ],
        None,
        [
            ("en", "vpn stuck authenticating"),
            ("cs", "nefunguje mi vpn z domova"),
            ("ro", "vpn nu se conecteaza de acasa"),
            ("ro", "VPN-ul rămâne la autentificare"),
            ("en", "vpn certificate expired"),
        ],
    ),
    (
        "saga-export",
        [
            (
                "ro",
                "Exportul în SAGA nu funcționează",
                "Fișierul XML pentru SAGA iese gol.",
                "Actualizați modulul de export la 4.2; alegeți perioada înainte.",
            ),
            (
                "ro",
                "Export SAGA gol",
                "Exportul contabil către SAGA nu conține nicio factură.",
                "Perioada exportului era greșită; alegeți luna corectă.",
            ),
        ],
        (
            "ro",
            "Exportul către SAGA",
            "Alegeți perioada, apoi exportați; modulul trebuie să fie 4.2 sau mai nou.",
        ),
        [
            ("ro", "nu merge exportul in saga"),
            ("ro", "fisier xml saga gol"),
            ("en", "accounting export to SAGA is empty"),
            ("cs", "export do SAGA je prázdný"),
            ("ro", "exportul contabil către SAGA nu are facturi"),
        ],
    ),
    (
        "edi-orders",
        [
            (
                "cs",
                "Nepřišly objednávky EDI",
                "Od včerejška nám nechodí objednávky od odběratele přes EDI.",
                "Partner změnil GLN; upravili jsme mapování v EDI Hubu a objednávky došly.",
            ),
            (
                "en",
                "EDI orders missing",
                "We stopped receiving ORDERS messages from our retailer.",
                "The retailer changed its GLN; the EDI Hub mapping was updated.",
            ),
        ],
        ("en", "EDI orders not arriving", "Check the partner's GLN in the EDI Hub mapping."),
        [
            ("cs", "nechodi objednavky pres edi"),
            ("en", "no edi orders received since yesterday"),
            ("ro", "nu primim comenzile edi"),
            ("ro", "partenerul a schimbat GLN-ul"),
            ("cs", "odběratel změnil GLN"),
        ],
    ),
    (
        "edi-desadv",
        [
            (
                "en",
                "DESADV rejected by the retailer",
                "Our dispatch advice is rejected: missing SSCC.",
                "Enable SSCC labels in the dispatch settings so DESADV carries them.",
            ),
            (
                "cs",
                "Odmítnutý DESADV",
                "Odběratel odmítá avízo o expedici, chybí SSCC.",
                "Zapněte etikety SSCC v nastavení expedice.",
            ),
        ],
        None,
        [
            ("en", "despatch advice rejected sscc"),
            ("cs", "odberatel odmita desadv"),
            ("ro", "avizul de expediere desadv respins"),
            ("en", "dispatch advice missing sscc labels"),
            ("cs", "chybí SSCC v DESADV"),
        ],
    ),
    (
        "license-renewal",
        [
            (
                "ro",
                "Licența a expirat",
                "Programul spune că licența a expirat și nu pornește.",
                "Am reînnoit licența; reporniți programul ca să o citească.",
            ),
            (
                "cs",
                "Vypršela licence",
                "Program hlásí vypršelou licenci.",
                "Licence obnovena, restartujte program.",
            ),
        ],
        (
            "en",
            "Renewing the licence",
            "After renewal, restart the program so it reads the new licence.",
        ),
        [
            ("ro", "licenta expirata programul nu porneste"),
            ("cs", "program hlasi vyprselou licenci"),
            ("en", "license expired message on start"),
            ("cs", "licence vypršela program nejde spustit"),
            ("ro", "licența a expirat"),
        ],
    ),
    (
        "backup",
        [
            (
                "en",
                "Nightly backup failed",
                "The backup report says the nightly backup failed: disk full.",
                "Removed backups older than 30 days and set the retention to 30 days.",
            ),
            (
                "ro",
                "Backup-ul de noapte a eșuat",
                "Raportul de backup arată eroare: disc plin.",
                "Am șters copiile mai vechi de 30 de zile și am setat păstrarea la 30 de zile.",
            ),
        ],
        None,
        [
            ("en", "backup failed disk full"),
            ("ro", "backup esuat disc plin"),
            ("cs", "noční záloha selhala"),
        ],
    ),
    (
        "stock-negative",
        [
            (
                "ro",
                "Stoc negativ la descărcare",
                "La descărcarea din gestiune apare stoc negativ.",
                "Recepția fusese înregistrată pe altă gestiune; am mutat-o pe gestiunea corectă.",
            ),
            (
                "cs",
                "Záporný stav skladu",
                "Při výdeji ze skladu se objeví záporný stav.",
                "Příjemka byla na jiném skladu; přesunuli jsme ji.",
            ),
        ],
        None,
        [
            ("ro", "stoc negativ gestiune"),
            ("cs", "zaporny stav skladu pri vydeji"),
            ("en", "negative stock when issuing goods"),
        ],
    ),
    (
        "payroll-declaration",
        [
            (
                "ro",
                "Declarația D112 nu se validează",
                "Validatorul ANAF dă eroare la D112.",
                "Actualizați validatorul la ultima versiune de pe site-ul ANAF.",
            ),
        ],
        ("ro", "Validarea declarației D112", "Folosiți ultima versiune a validatorului."),
        [
            ("ro", "d112 eroare validare"),
            ("ro", "declaratia 112 nu trece de validator"),
            ("en", "payroll declaration D112 fails validation"),
        ],
    ),
    (
        "bank-statement-import",
        [
            (
                "cs",
                "Import bankovního výpisu selhal",
                "Výpis z banky ve formátu ABO nejde naimportovat.",
                "Banka změnila kódování na UTF-8; v nastavení importu zvolte UTF-8.",
            ),
            (
                "en",
                "Bank statement import fails",
                "Importing the bank's statement file gives an encoding error.",
                "Choose UTF-8 in the import settings; the bank changed its encoding.",
            ),
        ],
        None,
        [
            ("cs", "nejde importovat vypis z banky"),
            ("en", "bank statement import encoding error"),
            ("ro", "importul extrasului bancar da eroare"),
        ],
    ),
    (
        "slow-report",
        [
            (
                "en",
                "Sales report is very slow",
                "The monthly sales report takes ten minutes.",
                "Rebuilt the report's indexes; it now takes seconds.",
            ),
            (
                "ro",
                "Raportul de vânzări merge greu",
                "Raportul lunar de vânzări durează zece minute.",
                "Am refăcut indecșii raportului.",
            ),
        ],
        None,
        [
            ("en", "sales report takes ages"),
            ("ro", "raport vanzari foarte lent"),
            ("cs", "měsíční report prodejů je pomalý"),
        ],
    ),
    (
        "new-user",
        [
            (
                "ro",
                "Utilizator nou pentru colegă",
                "Vă rog creați cont pentru o colegă nouă din contabilitate.",
                "Am creat contul; invitația a plecat pe adresa ei.",
            ),
            (
                "cs",
                "Nový uživatel",
                "Prosím o založení účtu pro novou kolegyni.",
                "Účet založen, pozvánka odešla e-mailem.",
            ),
        ],
        ("en", "Adding a colleague", "Customer admins invite colleagues from Contact persons."),
        [
            ("ro", "cont nou pentru coleg"),
            ("cs", "zalozit ucet pro kolegu"),
            ("en", "create an account for a new colleague"),
        ],
    ),
    (
        "exchange-rate",
        [
            (
                "ro",
                "Cursul BNR nu se actualizează",
                "Cursul valutar de azi nu apare în program.",
                "Serviciul de curs BNR își schimbase adresa; am actualizat-o.",
            ),
        ],
        None,
        [
            ("ro", "nu se actualizeaza cursul bnr"),
            ("en", "exchange rate not updated today"),
            ("cs", "neaktualizuje se kurz měny"),
        ],
    ),
    (
        "pos-receipt",
        [
            (
                "cs",
                "Pokladna netiskne účtenky",
                "Pokladní tiskárna přestala tisknout účtenky.",
                "V tiskárně došel papír a hlásila chybu krytu; po výměně role tiskne.",
            ),
            (
                "ro",
                "Casa de marcat nu scoate bonuri",
                "Imprimanta fiscală nu mai tipărește bonuri.",
                "Terminase rola de hârtie; după schimbare tipărește.",
            ),
        ],
        None,
        [
            ("cs", "pokladna netiskne uctenky"),
            ("ro", "casa de marcat nu tipareste bonul"),
            ("en", "receipt printer stopped printing"),
        ],
    ),
    (
        "vat-rate",
        [
            (
                "ro",
                "Cota de TVA nouă",
                "De la 1 august cota TVA s-a schimbat; cum o modific?",
                "În Nomenclatoare > Cote TVA adăugați cota nouă cu data de început.",
            ),
            (
                "cs",
                "Změna sazby DPH",
                "Jak nastavit novou sazbu DPH od ledna?",
                "V Číselníky > Sazby DPH přidejte sazbu s platností od.",
            ),
        ],
        (
            "ro",
            "Schimbarea cotei de TVA",
            "Adăugați cota nouă cu data de început în Nomenclatoare.",
        ),
        [
            ("ro", "cum schimb cota de tva"),
            ("cs", "nova sazba dph od ledna"),
            ("en", "how to set the new VAT rate"),
        ],
    ),
    (
        "mobile-app-login",
        [
            (
                "en",
                "Mobile app cannot log in",
                "The mobile app says 'server unreachable' at log-in.",
                "The server address in the app must start with https://; corrected it.",
            ),
        ],
        None,
        [
            ("en", "mobile app server unreachable"),
            ("ro", "aplicatia mobila nu se logheaza"),
            ("cs", "mobilní aplikace se nepřihlásí"),
            ("en", "mobile app cannot log in"),
        ],
    ),
    (
        "duplicate-invoice-number",
        [
            (
                "ro",
                "Număr de factură dublat",
                "Două facturi au primit același număr.",
                "Seria de facturare era folosită pe două calculatoare offline; am separat seriile.",
            ),
            (
                "cs",
                "Duplicitní číslo faktury",
                "Dvě faktury mají stejné číslo.",
                "Řada dokladů se používala na dvou počítačích offline; řady jsme oddělili.",
            ),
        ],
        None,
        [
            ("ro", "doua facturi cu acelasi numar"),
            ("ro", "număr de factură dublat"),
            ("cs", "duplicitni cislo faktury"),
            ("cs", "stejne cislo u dvou faktur"),
            ("en", "duplicate invoice numbers"),
        ],
    ),
    *OPS_TOPICS,
    *ERP_TOPICS,
]
