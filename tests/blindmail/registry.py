"""A registry of 31 units with the names, aliases and addresses such offices really use."""

MAILBOX = "tskxpjb@126.com"
ADMINS = ("admin@example.org",)

UNITS_CSV = """unit_id,name,category,aliases,emails
lunan,唐山市路南区科学技术协会,county,路南区科协;路南区,lnkx@163.com
lubei,唐山市路北区科学技术协会,county,路北区科协;路北区,lbkx2019@126.com
fengrun,唐山市丰润区科学技术协会,county,丰润区科协;丰润区,frqkx@163.com
qianan,迁安市科学技术协会,county,迁安市科协;迁安市,qakx@126.com
zunhua,遵化市科学技术协会,county,遵化市科协;遵化市,zhkx_2020@163.com
luanzhou,滦州市科学技术协会,county,滦州市科协;滦州市,lzskx@126.com
caofeidian,唐山市曹妃甸区科学技术协会,county,曹妃甸区科协;曹妃甸区,cfdkx@126.com
gaoxin,唐山高新技术产业开发区,zone,高新区;唐山高新区;高新区科协,gxqkx@126.com
haigang,唐山海港经济开发区,zone,海港开发区;海港经济开发区,hgkfq_kx@163.com
lutai,芦台经济开发区,zone,芦台开发区,ltkfq@126.com
jiaoyu,唐山市教育局,member,市教育局,tsjyj_kp@126.com
weijian,唐山市卫生健康委员会,member,市卫健委;唐山市卫健委;市卫生健康委,tswjw@163.com
nongye,唐山市农业农村局,member,市农业农村局,tsnyncj@126.com
qixiang,唐山市气象局,member,市气象局,tsqxj@163.com
yixuehui,唐山市医学会,society,市医学会,tsyxh@126.com
nongxue,唐山市农学会,society,市农学会,2658801234@qq.com
dizhi,唐山市地质学会,society,市地质学会,
kailuan,开滦（集团）有限责任公司科协,enterprise_sa,开滦集团科协;开滦科协,klkx@kailuan.com.cn
tangang,河钢集团唐钢公司科协,enterprise_sa,唐钢科协;唐钢公司科协,tgkx@163.com
huali,华北理工大学科协,college_sa,华北理工大学科学技术协会;华北理工科协,ncstkx@126.com
tsxy,唐山学院科协,college_sa,唐山学院科学技术协会,tsxykx@163.com
kejiguan,唐山科技馆,base,唐山市科技馆,tskjg@126.com
dizhen,唐山地震遗址纪念公园,base,地震遗址纪念公园;唐山市地震遗址纪念公园,dzyz_kp@126.com
kuangshan,开滦国家矿山公园,base,开滦博物馆,kskp@163.com
qianxi,迁西县板栗产业科普示范项目,project,迁西板栗科普项目,qxbl@126.com
laoting,乐亭县科普惠农服务站项目,project,乐亭科普惠农项目,ltkphn@163.com
guye,唐山市古冶区科学技术协会,county,古冶区科协;古冶区,gykx@126.com
kaiping,唐山市开平区科学技术协会,county,开平区科协;开平区,kpqkx@163.com
xinli,唐山市心理卫生协会,society,市心理卫生协会,tsxlws@163.com
jidong,冀东水泥集团科协,enterprise_sa,冀东水泥科协,jdsnkx@163.com
luannan,滦南县科学技术协会,county,滦南县科协;滦南县,lnxkx@126.com
"""
