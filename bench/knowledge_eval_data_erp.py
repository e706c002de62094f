"""More of the labelled evaluation set (bench/knowledge_eval_data.py has the format): the ERP
and EDI side — EDI invoices and price lists, e-Factura's token, credit notes, stock transfers,
Czech VAT statements, bank payments. Topics of one product are one another's hard negatives (an
EDI invoice rejected and EDI orders missing; e-Factura's token and an invoice SPV rejects)."""

from __future__ import annotations

TOPICS = [
    (
        "edi-invoic",
        [
            (
                "en",
                "EDI invoice rejected by the retailer",
                "Our INVOIC message comes back with an APERAK error: order number missing.",
                "No order reference on the invoice; fill in the customer's order number.",
            ),
            (
                "cs",
                "Odběratel odmítá EDI fakturu",
                "Faktura INVOIC se vrací s chybou APERAK: chybí číslo objednávky.",
                "Na faktuře chyběla reference objednávky; doplňte číslo objednávky odběratele.",
            ),
            (
                "ro",
                "Factura EDI respinsă",
                "Mesajul INVOIC revine cu eroare APERAK: lipsește numărul comenzii.",
                "Completați numărul comenzii clientului pe factură înainte de trimitere.",
            ),
        ],
        (
            "en",
            "EDI invoices (INVOIC)",
            "Every INVOIC needs the buyer's order number; an APERAK error names the missing field.",
        ),
        [
            ("en", "invoic aperak error order number missing"),
            ("en", "retailer rejects our edi invoice"),
            ("cs", "edi faktura se vraci s chybou aperak"),
            ("cs", "odběratel odmítl fakturu přes EDI"),
            ("ro", "factura edi respinsa de client"),
            ("ro", "eroare APERAK lipsește numărul comenzii"),
        ],
    ),
    (
        "edi-pricat",
        [
            (
                "cs",
                "Ceník PRICAT se nenačetl",
                "Nový ceník od dodavatele přes EDI (PRICAT) se neprojevil v cenách.",
                "Ceník měl platnost od příštího měsíce; ceny se změní k tomu datu.",
            ),
            (
                "en",
                "PRICAT price list not applied",
                "The supplier's new price catalogue over EDI did not change our prices.",
                "The price list is valid from next month; prices change on that date.",
            ),
        ],
        None,
        [
            ("cs", "novy cenik pres edi se neprojevil"),
            ("cs", "ceník PRICAT nezměnil ceny"),
            ("en", "edi price catalogue prices not updated"),
            ("ro", "lista de prețuri PRICAT nu s-a aplicat"),
            ("ro", "preturile din edi nu s-au schimbat"),
        ],
    ),
    (
        "efactura-token",
        [
            (
                "ro",
                "Tokenul e-Factura a expirat",
                "Trimiterea în e-Factura dă eroarea: token expirat, reautentificare necesară.",
                "Am reînnoit tokenul ANAF cu certificatul digital din Setări e-Factura.",
            ),
            (
                "ro",
                "Nu mai merge conexiunea cu ANAF",
                "Facturile nu mai pleacă spre SPV, mesaj de autorizare eșuată.",
                "Tokenul OAuth expirase după 90 de zile; l-am regenerat cu semnătura digitală.",
            ),
        ],
        (
            "ro",
            "Reînnoirea tokenului e-Factura",
            "Tokenul ANAF expiră la 90 de zile; regenerați-l cu certificatul digital.",
        ),
        [
            ("ro", "token efactura expirat"),
            ("ro", "autorizare eșuată la trimiterea în SPV"),
            ("ro", "nu se conecteaza la anaf e-factura"),
            ("en", "e-factura token expired anaf"),
            ("cs", "vypršel token pro e-Factura"),
            ("en", "anaf authorisation failed sending invoices"),
        ],
    ),
    (
        "credit-note",
        [
            (
                "en",
                "How to issue a credit note",
                "A customer returned goods; how do I cancel part of an invoice?",
                "Open the invoice, choose Create credit note and pick the returned lines.",
            ),
            (
                "ro",
                "Factură de stornare",
                "Clientul a returnat marfă; cum stornez o parte din factură?",
                "Din factură alegeți Creează stornare și selectați liniile returnate.",
            ),
            (
                "cs",
                "Dobropis k faktuře",
                "Zákazník vrátil zboží; jak vystavím dobropis?",
                "Na faktuře zvolte Vytvořit dobropis a vyberte vrácené řádky.",
            ),
        ],
        None,
        [
            ("en", "credit note for returned goods"),
            ("ro", "cum fac storno la o factura"),
            ("ro", "stornare parțială factură marfă returnată"),
            ("cs", "jak vystavit dobropis"),
            ("cs", "dobropis na vracene zbozi"),
            ("en", "cancel part of an invoice"),
        ],
    ),
    (
        "stock-transfer",
        [
            (
                "ro",
                "Transferul între gestiuni nu apare",
                "Am transferat marfă din depozitul central, dar stocul nu apare în magazin.",
                "Transferul era doar salvat, nu validat; după validare stocul a apărut.",
            ),
            (
                "cs",
                "Převodka mezi sklady",
                "Převedl jsem zboží z centrálního skladu do prodejny, ale v prodejně není.",
                "Převodka byla jen uložená, ne potvrzená; po potvrzení se zásoba objevila.",
            ),
        ],
        None,
        [
            ("ro", "transferul intre gestiuni nu apare in stoc"),
            ("ro", "marfa transferată nu apare în magazin"),
            ("cs", "prevodka mezi sklady se neprojevila"),
            ("cs", "zboží převedené na prodejnu tam není"),
            ("en", "stock transfer between warehouses not showing"),
        ],
    ),
    (
        "control-statement",
        [
            (
                "cs",
                "Chyba v kontrolním hlášení",
                "Kontrolní hlášení DPH neprošlo, chyba v oddílu B.2.",
                "Dodavatel neměl vyplněné DIČ; po doplnění DIČ hlášení prošlo.",
            ),
            (
                "cs",
                "Kontrolní hlášení odmítnuto",
                "Finanční správa vrátila kontrolní hlášení s chybou DIČ.",
                "U dvou přijatých faktur chybělo DIČ dodavatele; doplněno a odesláno znovu.",
            ),
        ],
        (
            "cs",
            "Kontrolní hlášení DPH",
            "Každá faktura nad 10 000 Kč potřebuje DIČ partnera; jinak hlášení neprojde.",
        ),
        [
            ("cs", "kontrolni hlaseni neproslo"),
            ("cs", "chyba DIČ v kontrolním hlášení"),
            ("cs", "financni sprava vratila kontrolni hlaseni"),
            ("en", "czech vat control statement rejected"),
            ("en", "control statement missing supplier vat number"),
        ],
    ),
    (
        "bank-payment-export",
        [
            (
                "en",
                "Payment order file refused by the bank",
                "The bank refuses our payment batch file: invalid IBAN.",
                "A supplier's IBAN had a space; corrected it in the partner card.",
            ),
            (
                "ro",
                "Banca refuză fișierul de plăți",
                "Fișierul cu ordinele de plată este respins de bancă: IBAN invalid.",
                "IBAN-ul unui furnizor avea un spațiu; corectat în fișa partenerului.",
            ),
            (
                "cs",
                "Banka odmítla příkaz k úhradě",
                "Soubor s platbami banka odmítla: neplatný IBAN.",
                "IBAN dodavatele obsahoval mezeru; opraveno v kartě partnera.",
            ),
        ],
        None,
        [
            ("en", "bank rejects payment file invalid iban"),
            ("ro", "banca respinge fisierul cu ordine de plata"),
            ("ro", "IBAN invalid la exportul plăților"),
            ("cs", "banka odmitla soubor s platbami"),
            ("cs", "neplatný IBAN v příkazu k úhradě"),
            ("en", "supplier payments export refused"),
        ],
    ),
    (
        "intrastat",
        [
            (
                "ro",
                "Declarația Intrastat nu are greutăți",
                "Raportul Intrastat iese cu masa netă zero pentru multe articole.",
                "Articolele nu aveau greutatea completată; am completat-o în fișa articolului.",
            ),
            (
                "cs",
                "Intrastat bez hmotnosti",
                "Výkaz Intrastat má u mnoha položek nulovou hmotnost.",
                "Položky neměly vyplněnou hmotnost; doplnili jsme ji v kartě zboží.",
            ),
        ],
        None,
        [
            ("ro", "intrastat masa neta zero"),
            ("ro", "raportul Intrastat fără greutăți"),
            ("cs", "intrastat nulova hmotnost polozek"),
            ("cs", "výkaz Intrastat bez hmotnosti"),
            ("en", "intrastat report net mass zero"),
        ],
    ),
    (
        "invoice-pdf-layout",
        [
            (
                "cs",
                "Na faktuře chybí logo",
                "Po aktualizaci se na PDF faktuře nezobrazuje logo firmy.",
                "Logo bylo ve formátu BMP; nahráli jsme PNG v Nastavení tiskové šablony.",
            ),
            (
                "en",
                "Logo missing on invoice PDF",
                "Since the update our logo is gone from the invoice PDF.",
                "The logo was a BMP file; uploaded a PNG in the print template settings.",
            ),
        ],
        None,
        [
            ("cs", "na fakture chybi logo"),
            ("cs", "logo firmy se nezobrazí v PDF"),
            ("en", "company logo missing from invoice pdf"),
            ("ro", "lipsește sigla pe factura pdf"),
            ("ro", "logo-ul nu apare pe factura"),
        ],
    ),
    (
        "price-rounding",
        [
            (
                "ro",
                "Diferențe de rotunjire la TVA",
                "Totalul facturii diferă cu 1 ban față de comanda clientului.",
                "Rotunjirea era pe linie; am trecut rotunjirea TVA pe total document.",
            ),
            (
                "en",
                "Rounding difference on VAT",
                "The invoice total is one cent off the customer's order.",
                "VAT was rounded per line; switched rounding to the document total.",
            ),
        ],
        None,
        [
            ("ro", "diferenta de un ban la total factura"),
            ("ro", "rotunjire TVA pe linie sau pe total"),
            ("en", "invoice total one cent different"),
            ("cs", "rozdíl v zaokrouhlení DPH o haléř"),
            ("cs", "zaokrouhleni dph na fakture nesedi"),
        ],
    ),
    (
        "card-terminal",
        [
            (
                "ro",
                "Terminalul POS de card nu comunică",
                "La plata cu cardul casa spune: terminal indisponibil.",
                "Terminalul era pe alt port COM; am setat portul corect în casă.",
            ),
            (
                "cs",
                "Platební terminál nekomunikuje",
                "Při platbě kartou pokladna hlásí: terminál nedostupný.",
                "Terminál byl na jiném COM portu; nastavili jsme správný port v pokladně.",
            ),
        ],
        None,
        [
            ("ro", "terminalul de card nu comunica cu casa"),
            ("ro", "plata cu cardul: terminal indisponibil"),
            ("cs", "platebni terminal nedostupny"),
            ("cs", "pokladna nekomunikuje s terminálem"),
            ("en", "card payment terminal unavailable at till"),
        ],
    ),
]
